// Progress of long CLI work on stderr: a redrawn bar with count, rate and ETA on a terminal,
// a plain line every few seconds otherwise (logs, CI).
#pragma once

#include <QString>

#include <chrono>
#include <cstdint>

namespace lookalike::cli {

class Progress {
public:
    Progress(QString unit, bool enabled = true);
    // `detail` (for example "loss 0.42  lr 1e-4") is shown after the rate and ETA.
    void update(std::int64_t done, std::int64_t total, double perSecond, double etaSeconds, const QString &detail = {});
    void finish(); // ends the bar's line

    static QString formatDuration(double seconds); // "3m55s", "1h02m", "12s"

private:
    QString m_unit;
    bool m_enabled;
    bool m_tty;
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_lastLine{};
};

} // namespace lookalike::cli

// Terminal progress bar / plain progress lines.
#include "cli/Progress.h"

#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace lookalike::cli {

Progress::Progress(QString unit, bool enabled)
    : m_unit(std::move(unit))
    , m_enabled(enabled)
    , m_tty(::isatty(STDERR_FILENO) == 1)
{
}

QString Progress::formatDuration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return QStringLiteral("?");
    const auto s = static_cast<long long>(std::llround(seconds));
    if (s >= 3600)
        return QStringLiteral("%1h%2m").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    if (s >= 60)
        return QStringLiteral("%1m%2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1s").arg(s);
}

void Progress::update(std::int64_t done, std::int64_t total, double perSecond, double etaSeconds, const QString &detail)
{
    if (!m_enabled)
        return;
    const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    const QString stats
        = QStringLiteral("%1/%2 %3  %4 %3/s  ETA %5%6")
              .arg(done)
              .arg(total)
              .arg(m_unit)
              .arg(perSecond, 0, 'f', perSecond < 10 ? 2 : 1)
              .arg(formatDuration(etaSeconds), detail.isEmpty() ? QString() : QStringLiteral("  ") + detail);
    QString line;
    if (m_tty) {
        constexpr int width = 30;
        const int filled = static_cast<int>(fraction * width);
        line = QStringLiteral("\r[%1%2] %3% %4\x1b[K")
                   .arg(QString(filled, QLatin1Char('#')), QString(width - filled, QLatin1Char('.')))
                   .arg(static_cast<int>(fraction * 100), 3)
                   .arg(stats);
        m_drawn = true;
    } else {
        const auto now = std::chrono::steady_clock::now();
        if (done < total && now - m_lastLine < std::chrono::seconds(5))
            return;
        m_lastLine = now;
        line = QStringLiteral("progress: %1 (%2%)\n").arg(stats).arg(static_cast<int>(fraction * 100));
    }
    const QByteArray utf8 = line.toUtf8();
    std::fwrite(utf8.constData(), 1, static_cast<std::size_t>(utf8.size()), stderr);
    std::fflush(stderr);
}

void Progress::finish()
{
    if (m_drawn) {
        std::fputc('\n', stderr);
        m_drawn = false;
    }
}

} // namespace lookalike::cli

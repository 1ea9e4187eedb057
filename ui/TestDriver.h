// For tests only: lets a test drive the real GUI process from outside (tests/tst_crashsafety
// kills it with SIGKILL in the middle of a grading session). Off unless the environment variable
// LOOKALIKE_TEST_DRIVER=1 is set; then
//   - each line read on stdin names a key ("3", "n", "Right", "Space", "Ctrl+Z") that is delivered
//     as a key press and release through the window system path (the way a real keyboard's key
//     arrives: shortcuts, focus, the grid's keyPressEvent), one key per event-loop turn;
//   - each time a card paints a grade badge it did not show before, "shown QUERY ITEM GRADE"
//     (internal item ids) is written to stdout and flushed, from the delegate that draws it;
//   - "ready" is written once a window has keyboard focus.
#pragma once

#include <QObject>
#include <QStringList>

#include <cstdint>

class QSocketNotifier;

namespace lookalike::ui {

class TestDriver : public QObject {
    Q_OBJECT
public:
    // True when LOOKALIKE_TEST_DRIVER=1.
    static bool enabled();
    // Called by the card delegate when it paints a grade badge (only when enabled()).
    static void gradeShown(std::int64_t queryItemId, std::int64_t itemId, int grade);

    explicit TestDriver(QObject *parent = nullptr);

private:
    void readKeys();
    void deliverNext();

    QSocketNotifier *m_stdin = nullptr;
    QByteArray m_pending; // a partial line
    QStringList m_keys; // read, not yet delivered
    bool m_scheduled = false;
    bool m_ready = false;
};

} // namespace lookalike::ui

// The test-only driver of the GUI process: keys from stdin, shown grades to stdout.
#include "ui/TestDriver.h"

#include <QGuiApplication>
#include <QHash>
#include <QKeySequence>
#include <QSocketNotifier>
#include <QTimer>
#include <QWindow>

#include <cstdio>
#include <unistd.h>

// Exported by Qt GUI for QTest: hands a key event to the window-system layer as a platform
// plugin does (shortcut map first, then the focused widget). Declared here so the application
// does not link Qt Test.
QT_BEGIN_NAMESPACE
Q_GUI_EXPORT void qt_handleKeyEvent(QWindow *w, QEvent::Type t, int k, Qt::KeyboardModifiers mods,
    const QString &text = QString(), bool autorep = false, ushort count = 1);
QT_END_NAMESPACE

namespace lookalike::ui {

bool TestDriver::enabled()
{
    static const bool on = qEnvironmentVariable("LOOKALIKE_TEST_DRIVER") == QLatin1String("1");
    return on;
}

void TestDriver::gradeShown(std::int64_t queryItemId, std::int64_t itemId, int grade)
{
    // Paint runs often; report a card's badge only when it changes.
    static QHash<QPair<qint64, qint64>, int> shown;
    const QPair<qint64, qint64> card(queryItemId, itemId);
    const auto it = shown.constFind(card);
    if (it != shown.constEnd() && *it == grade)
        return;
    shown.insert(card, grade);
    std::printf("shown %lld %lld %d\n", static_cast<long long>(queryItemId), static_cast<long long>(itemId), grade);
    std::fflush(stdout);
}

TestDriver::TestDriver(QObject *parent)
    : QObject(parent)
    , m_stdin(new QSocketNotifier(STDIN_FILENO, QSocketNotifier::Read, this))
{
    connect(m_stdin, &QSocketNotifier::activated, this, [this] { readKeys(); });
    QTimer::singleShot(0, this, [this] { deliverNext(); });
}

void TestDriver::readKeys()
{
    char buffer[4096];
    const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n <= 0) {
        m_stdin->setEnabled(false); // end of input: keep running until killed or closed
        return;
    }
    m_pending.append(buffer, static_cast<qsizetype>(n));
    qsizetype end;
    while ((end = m_pending.indexOf('\n')) >= 0) {
        const QString key = QString::fromUtf8(m_pending.left(end)).trimmed();
        m_pending.remove(0, end + 1);
        if (!key.isEmpty())
            m_keys.append(key);
    }
    if (!m_scheduled && m_ready && !m_keys.isEmpty()) {
        m_scheduled = true;
        QTimer::singleShot(0, this, [this] { deliverNext(); });
    }
}

void TestDriver::deliverNext()
{
    m_scheduled = false;
    QWindow *window = QGuiApplication::focusWindow();
    if (!window) {
        m_scheduled = true; // not shown or not active yet
        QTimer::singleShot(10, this, [this] { deliverNext(); });
        return;
    }
    if (!m_ready) {
        m_ready = true;
        std::printf("ready\n");
        std::fflush(stdout);
    }
    if (m_keys.isEmpty())
        return;
    const QKeySequence sequence = QKeySequence::fromString(m_keys.takeFirst(), QKeySequence::PortableText);
    if (!sequence.isEmpty()) {
        const QKeyCombination combination = sequence[0];
        const Qt::KeyboardModifiers mods = combination.keyboardModifiers();
        const int key = combination.key();
        QString text;
        if (!(mods & (Qt::ControlModifier | Qt::AltModifier | Qt::MetaModifier)) && key >= 0x20 && key < 0x7f) {
            text = QString(QChar(key));
            if (!(mods & Qt::ShiftModifier))
                text = text.toLower();
        }
        qt_handleKeyEvent(window, QEvent::KeyPress, key, mods, text);
        qt_handleKeyEvent(window, QEvent::KeyRelease, key, mods, text);
    }
    // One key per event-loop turn: queued work (repaints, timers) runs between keys, as it would
    // between a fast typist's keys; a repaint may still show several grades at once.
    if (!m_keys.isEmpty()) {
        m_scheduled = true;
        QTimer::singleShot(0, this, [this] { deliverNext(); });
    }
}

} // namespace lookalike::ui

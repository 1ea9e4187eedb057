// FreeCores: the decision (a neighbour using half a core or more takes one away, never below
// one) and the measure itself: beside a child process spinning on one core, at least one core
// is seen as taken. (Other load on the machine can only take more, so the check holds under
// ctest -j2 too.)
#include "core/util/FreeCores.h"

#include <QTest>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <thread>

using namespace lookalike;

class TestFreeCores : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void decision();
    void seesABusyNeighbour();
};

void TestFreeCores::decision()
{
    QCOMPARE(freeCoresFor(2, 0.0), 2);
    QCOMPARE(freeCoresFor(2, 0.4), 2);   // a little background work takes nothing
    QCOMPARE(freeCoresFor(2, 0.6), 1);
    QCOMPARE(freeCoresFor(2, 1.0), 1);
    QCOMPARE(freeCoresFor(2, 3.7), 1);   // never below one
    QCOMPARE(freeCoresFor(8, 2.4), 6);
    QCOMPARE(freeCoresFor(2, std::nan("")), 2); // a measure that failed takes nothing
    QCOMPARE(freeCoresFor(2, -0.3), 2);
    QCOMPARE(freeCoresFor(0, 0.0), 1);
}

void TestFreeCores::seesABusyNeighbour()
{
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    FreeCores free(cores);
    const int first = free.now(std::chrono::milliseconds(0));
    QVERIFY(first >= 1 && first <= cores);
    if (cores < 2)
        QSKIP("one core: nothing to take away");
    const pid_t child = fork();
    if (child == 0) {
        volatile unsigned long x = 0;
        for (;;)
            x = x + 1;
    }
    QVERIFY(child > 0);
    free.now(std::chrono::milliseconds(0)); // the interval starts with the neighbour running
    QTest::qWait(400); // sleeping: this process uses nothing meanwhile
    const int beside = free.now(std::chrono::milliseconds(0));
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    QVERIFY2(beside <= cores - 1, qPrintable(QStringLiteral("%1 of %2 cores free beside a spinning process").arg(beside).arg(cores)));
    // Within the minimum interval the last answer is kept (no /proc read per call).
    QCOMPARE(free.now(std::chrono::hours(1)), beside);
}

QTEST_GUILESS_MAIN(TestFreeCores)
#include "tst_freecores.moc"

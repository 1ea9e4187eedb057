// onThreads: the work runs on as many threads as asked (the caller one of them), every share
// is taken exactly once, and an exception on any thread reaches the caller after every thread
// has stopped, the others told to stop early.
#include "core/util/OnThreads.h"

#include <QTest>

#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace lookalike;

namespace {
// Spins until `done` says so or 10 s have passed (a broken onThreads fails, it does not hang).
template <typename F> void waitFor(F &&done)
{
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < until)
        std::this_thread::yield();
}
} // namespace

class TestOnThreads : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyShareOnceOnEveryThread();
    void theFirstErrorReachesTheCaller();
};

void TestOnThreads::everyShareOnceOnEveryThread()
{
    std::atomic<int> next{0};
    std::vector<std::atomic<int>> taken(1000);
    std::mutex lock;
    std::set<std::thread::id> seen;
    std::atomic<int> started{0};
    onThreads(3, [&](const std::atomic<bool> &) {
        ++started;
        waitFor([&] { return started == 3; }); // each waits for the others: all three take part
        {
            const std::lock_guard guard(lock);
            seen.insert(std::this_thread::get_id());
        }
        for (int i; (i = next++) < 1000;)
            ++taken[static_cast<std::size_t>(i)];
    });
    QCOMPARE(seen.size(), std::size_t(3));
    QVERIFY(seen.count(std::this_thread::get_id()));
    for (const auto &t : taken)
        QCOMPARE(t.load(), 1);
}

void TestOnThreads::theFirstErrorReachesTheCaller()
{
    std::atomic<int> stoppedEarly{0};
    std::atomic<int> calls{0};
    bool caught = false;
    try {
        onThreads(2, [&](const std::atomic<bool> &failed) {
            if (calls++ == 0)
                throw std::runtime_error("share 7 is broken");
            waitFor([&] { return failed.load(); }); // the other waits until the first has failed
            stoppedEarly += failed ? 1 : 0;
        });
    } catch (const std::runtime_error &e) {
        caught = true;
        QCOMPARE(std::string(e.what()), std::string("share 7 is broken"));
    }
    QVERIFY(caught);
    QCOMPARE(stoppedEarly.load(), 1);
}

QTEST_MAIN(TestOnThreads)
#include "tst_onthreads.moc"

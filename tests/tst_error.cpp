// lookalike::Error and oneLineMessage(): what the user reads is one line naming the file, for
// our errors and for the standard library's (std::bad_alloc and filesystem errors never reach
// a user raw) and for libraries' multi-line texts (a LibTorch backtrace).
#include "core/Error.h"

#include <QTest>

#include <filesystem>
#include <new>
#include <system_error>

using namespace lookalike;

class TestError : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void errorNamesFileSubjectAndProblem();
    void standardErrorsAreSaidInWords();
};

void TestError::errorNamesFileSubjectAndProblem()
{
    const Error e(ErrorCode::WrongShape, "/m/model.safetensors", "vision.weight", "shape is [2] but the config needs [3]");
    QCOMPARE(std::string(e.what()), std::string("/m/model.safetensors: vision.weight: shape is [2] but the config needs [3]"));
    QCOMPARE(oneLineMessage(e), std::string(e.what()));
    QCOMPARE(std::string(Error(ErrorCode::NotFound, {}, "no such version").what()), std::string("no such version"));
}

void TestError::standardErrorsAreSaidInWords()
{
    QCOMPARE(oneLineMessage(std::bad_alloc()),
             std::string("out of memory: the input is too large for this machine's memory (nothing more was saved)"));
    const std::filesystem::filesystem_error full("cannot copy", std::filesystem::path("/p/models/1/raw.npy"),
                                                 std::filesystem::path("/q"),
                                                 std::make_error_code(std::errc::no_space_on_device));
    QCOMPARE(oneLineMessage(full), std::string("/p/models/1/raw.npy: cannot copy: no space left on device"));
    const std::filesystem::filesystem_error noPath("cannot get the current path",
                                                   std::make_error_code(std::errc::permission_denied));
    QCOMPARE(oneLineMessage(noPath), std::string("cannot get the current path: permission denied"));
    // A library's message with a backtrace under it: its first line only.
    QCOMPARE(oneLineMessage(std::runtime_error("shape mismatch at conv1\nException raised from ...\nframe #0: ...")),
             std::string("shape mismatch at conv1"));
}

QTEST_GUILESS_MAIN(TestError)
#include "tst_error.moc"

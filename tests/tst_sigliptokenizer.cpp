// SiglipTokenizer against Hugging Face transformers v4.45.2's slow SiglipTokenizer: the 24 edge
// cases and the 6 model titles of ref_tiny_a.json exactly, plus loading errors (missing or
// corrupt spiece.model, bad tokenizer_config.json), UTF-8 validation and config overrides.
#include "core/Error.h"
#include "core/text/SiglipTokenizer.h"
#include "support/RefData.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <filesystem>
#include <functional>
#include <optional>
#include <random>

using namespace lookalike;

namespace {

using Ids = std::vector<std::int64_t>;
using Tokens = std::vector<std::string>;

// Printable row name: control characters escaped, long texts cut.
QByteArray rowName(int index, const QString &text)
{
    QString shown;
    for (const QChar c : text) {
        if (c == QLatin1Char('\t'))
            shown += QStringLiteral("\\t");
        else if (c == QLatin1Char('\n'))
            shown += QStringLiteral("\\n");
        else if (c == QLatin1Char('\r'))
            shown += QStringLiteral("\\r");
        else
            shown += c;
    }
    if (shown.size() > 40)
        shown = shown.left(37) + QStringLiteral("...");
    return QStringLiteral("%1: \"%2\"").arg(index, 2, 10, QLatin1Char('0')).arg(shown).toUtf8();
}

// The lookalike::Error thrown by `f`, or nothing.
std::optional<Error> errorOf(const std::function<void()> &f)
{
    try {
        f();
    } catch (const Error &e) {
        return e;
    }
    return std::nullopt;
}

std::string bytesOf(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll().toStdString();
}

void writeBytes(const QString &path, const std::string &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(bytes.data(), static_cast<qint64>(bytes.size())), static_cast<qint64>(bytes.size()));
}

QJsonObject tinyTokenizerConfig()
{
    QFile f(testsupport::tinyCheckpointDir() + QStringLiteral("/tokenizer_config.json"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

// A checkpoint folder holding tiny_a's spiece.model and, if given, these JSON files.
QString checkpointWith(
    const QString &name, const std::optional<QJsonObject> &tokenizerConfig, bool withSpecialTokensMap)
{
    const QString dir = testsupport::scratchDir(name);
    const QString src = testsupport::tinyCheckpointDir();
    QFile::copy(src + QStringLiteral("/spiece.model"), dir + QStringLiteral("/spiece.model"));
    if (withSpecialTokensMap)
        QFile::copy(src + QStringLiteral("/special_tokens_map.json"), dir + QStringLiteral("/special_tokens_map.json"));
    if (tokenizerConfig) {
        QFile f(dir + QStringLiteral("/tokenizer_config.json"));
        if (f.open(QIODevice::WriteOnly))
            f.write(QJsonDocument(*tokenizerConfig).toJson());
    }
    return dir;
}

constexpr int kTinyMaxLength = 16;

} // namespace

// Readable QCOMPARE failures for token and id lists.
namespace QTest {
template <> char *toString(const Ids &ids)
{
    QByteArray out("[");
    for (std::size_t i = 0; i < ids.size(); ++i)
        out += (i ? ", " : "") + QByteArray::number(static_cast<qlonglong>(ids[i]));
    return qstrdup(out + "]");
}

template <> char *toString(const Tokens &tokens)
{
    QByteArray out("[");
    for (std::size_t i = 0; i < tokens.size(); ++i)
        out += (i ? ", \"" : "\"") + QByteArray::fromStdString(tokens[i]) + "\"";
    return qstrdup(out + "]");
}
} // namespace QTest

class TestSiglipTokenizer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void loadsTinyCheckpointSettings();
    void tokenizerCases_data();
    void tokenizerCases();
    void referenceTexts_data();
    void referenceTexts();
    void eosInsideTextAndTruncation_data();
    void eosInsideTextAndTruncation();
    void sameTokensAsPythonWould_data();
    void sameTokensAsPythonWould();
    void unknownCharacterRunsBecomeOneUnk_data();
    void unknownCharacterRunsBecomeOneUnk();
    void invalidUtf8IsRejected_data();
    void invalidUtf8IsRejected();
    void isValidUtf8Table_data();
    void isValidUtf8Table();
    void missingModelIsNamed();
    void corruptModelFails_data();
    void corruptModelFails();
    void modelMaxLengthFromConfig_data();
    void modelMaxLengthFromConfig();
    void withoutJsonFilesUsesDefaults();
    void leftPaddingAndTruncation();
    void malformedTokenizerConfig_data();
    void malformedTokenizerConfig();
    void movedTokenizerStillWorks();

private:
    std::optional<SiglipTokenizer> m_tok;
};

void TestSiglipTokenizer::initTestCase()
{
    m_tok.emplace(SiglipTokenizer::load(testsupport::tinyCheckpointPath(), 64));
}

void TestSiglipTokenizer::loadsTinyCheckpointSettings()
{
    const QJsonObject call = testsupport::reference().value(QStringLiteral("tokenizer_call")).toObject();
    QCOMPARE(m_tok->maxLength(), call.value(QStringLiteral("model_max_length")).toInt()); // not the fallback 64
    QCOMPARE(m_tok->eosId(), std::int64_t(call.value(QStringLiteral("eos_token_id")).toInteger()));
    QCOMPARE(m_tok->padId(), std::int64_t(call.value(QStringLiteral("pad_token_id")).toInteger()));
    QCOMPARE(m_tok->unkId(), std::int64_t(call.value(QStringLiteral("unk_token_id")).toInteger()));
    QCOMPARE(m_tok->vocabSize(), call.value(QStringLiteral("vocab_size")).toInt());
    QCOMPARE(m_tok->vocabSize(), testsupport::reference().value(QStringLiteral("spiece_vocab")).toArray().size());
}

void TestSiglipTokenizer::tokenizerCases_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<Tokens>("tokens");
    QTest::addColumn<Ids>("idsNoPadding");
    QTest::addColumn<Ids>("idsMaxLength");
    const QJsonArray cases = testsupport::reference().value(QStringLiteral("tokenizer_cases")).toArray();
    QCOMPARE(cases.size(), 24);
    for (int i = 0; i < cases.size(); ++i) {
        const QJsonObject c = cases.at(i).toObject();
        const QString text = c.value(QStringLiteral("text")).toString();
        QTest::newRow(rowName(i, text).constData())
            << text << testsupport::stringArray(c.value(QStringLiteral("tokens")))
            << testsupport::intArray(c.value(QStringLiteral("input_ids_no_padding")))
            << testsupport::intArray(c.value(QStringLiteral("input_ids_max_length")));
    }
}

void TestSiglipTokenizer::tokenizerCases()
{
    QFETCH(QString, text);
    QFETCH(Tokens, tokens);
    QFETCH(Ids, idsNoPadding);
    QFETCH(Ids, idsMaxLength);
    const std::string utf8 = text.toStdString();
    QCOMPARE(m_tok->tokenize(utf8), tokens);
    QCOMPARE(m_tok->encode(utf8, false), idsNoPadding);
    QCOMPARE(m_tok->encode(utf8), idsMaxLength);
    QCOMPARE(idsMaxLength.size(), std::size_t(kTinyMaxLength));
}

void TestSiglipTokenizer::referenceTexts_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<Tokens>("tokens");
    QTest::addColumn<Ids>("inputIds");
    const QJsonArray texts = testsupport::reference().value(QStringLiteral("texts")).toArray();
    QCOMPARE(texts.size(), 6);
    for (int i = 0; i < texts.size(); ++i) {
        const QJsonObject t = texts.at(i).toObject();
        const QString text = t.value(QStringLiteral("text")).toString();
        QTest::newRow(rowName(i, text).constData())
            << text << testsupport::stringArray(t.value(QStringLiteral("tokens")))
            << testsupport::intArray(t.value(QStringLiteral("input_ids")));
    }
}

void TestSiglipTokenizer::referenceTexts()
{
    QFETCH(QString, text);
    QFETCH(Tokens, tokens);
    QFETCH(Ids, inputIds);
    QCOMPARE(m_tok->tokenize(text.toStdString()), tokens); // untruncated
    QCOMPARE(m_tok->encode(text.toStdString()), inputIds);
}

// Derived from reference cases: "</s>" appended to a text with n tokens. HF counts one eos to
// add even when the ids already end in eos, truncates to max_length - 1, then adds eos if missing.
void TestSiglipTokenizer::eosInsideTextAndTruncation_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<Ids>("expected");
    const QJsonArray cases = testsupport::reference().value(QStringLiteral("tokenizer_cases")).toArray();
    for (const QJsonValue v : cases) {
        const QJsonObject c = v.toObject();
        const QString text = c.value(QStringLiteral("text")).toString();
        const Ids ids = testsupport::intArray(c.value(QStringLiteral("input_ids_max_length")));
        // 14 tokens + "</s>" = 15 ids ending in eos: no second eos, one pad.
        if (text == QStringLiteral("tabs\tand\nnewlines\r\nhere"))
            QTest::newRow("14 tokens + </s>: kept, padded") << text + QStringLiteral("</s>") << ids;
        // 16 tokens + "</s>": truncated to 15, the literal eos is cut, a new eos is added.
        if (text == QStringLiteral("multiple     inner   spaces"))
            QTest::newRow("16 tokens + </s>: truncated, eos re-added") << text + QStringLiteral(" </s>") << ids;
    }
}

void TestSiglipTokenizer::eosInsideTextAndTruncation()
{
    QFETCH(QString, text);
    QFETCH(Ids, expected);
    QCOMPARE(m_tok->encode(text.toStdString()), expected);
}

// Pairs that Python's string rules make equivalent (unknown characters keep their surface form in
// the tokens, so the exact lowercase result is visible even where the ids are all unk).
void TestSiglipTokenizer::sameTokensAsPythonWould_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("equivalent");
    QTest::addColumn<Tokens>("tokens");
    // 'İ'.lower() == 'i\u0307' (the one multi-character lowercase mapping).
    QTest::newRow("dotted capital I") << QStringLiteral("İ") << QStringLiteral("i\u0307") << Tokens{"▁i", "\u0307"};
    // Lowercasing is per character: no final sigma.
    QTest::newRow("no final sigma") << QStringLiteral("ΟΔΟΣ") << QStringLiteral("οδοσ") << Tokens{"▁", "οδοσ"};
    // "</S>" is not a special token, but lowercases into one.
    QTest::newRow("uppercase eos") << QStringLiteral("HI</S>") << QStringLiteral("hi</s>") << Tokens{"▁h", "i", "</s>"};
    // lstrip/rstrip use str.isspace(): ideographic space and NBSP are eaten too.
    QTest::newRow("unicode spaces around eos")
        << QStringLiteral("red\u3000</s>\u00a0blue") << QStringLiteral("red </s> blue")
        << Tokens{"▁red", "</s>", "b", "l", "u", "e"};
    // \s+ collapses Unicode whitespace (U+2003 em space, U+0085 NEL) to one space.
    QTest::newRow("unicode whitespace collapse")
        << QStringLiteral("red\u2003\u0085cotton") << QStringLiteral("red cotton") << Tokens{"▁red", "▁cotton"};
}

void TestSiglipTokenizer::sameTokensAsPythonWould()
{
    QFETCH(QString, text);
    QFETCH(QString, equivalent);
    QFETCH(Tokens, tokens);
    QCOMPARE(m_tok->tokenize(text.toStdString()), tokens);
    QCOMPARE(m_tok->tokenize(equivalent.toStdString()), tokens);
    QCOMPARE(m_tok->encode(text.toStdString()), m_tok->encode(equivalent.toStdString()));
}

void TestSiglipTokenizer::unknownCharacterRunsBecomeOneUnk_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<Tokens>("tokens");
    QTest::addColumn<Ids>("ids");
    QTest::newRow("three CJK characters") << QStringLiteral("手机壳") << Tokens{"▁", "手机壳"} << Ids{3, 2, 1};
    QTest::newRow("mixed unknown scripts") << QStringLiteral("😀手ü") << Tokens{"▁", "😀手ü"} << Ids{3, 2, 1};
    QTest::newRow("runs split by a known char")
        << QStringLiteral("手a机") << Tokens{"▁", "手", "a", "机"} << Ids{3, 2, 43, 2, 1};
}

void TestSiglipTokenizer::unknownCharacterRunsBecomeOneUnk()
{
    QFETCH(QString, text);
    QFETCH(Tokens, tokens);
    QFETCH(Ids, ids);
    QCOMPARE(m_tok->tokenize(text.toStdString()), tokens);
    QCOMPARE(m_tok->encode(text.toStdString(), false), ids);
}

void TestSiglipTokenizer::invalidUtf8IsRejected_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("offset");
    QTest::newRow("stray continuation byte") << QByteArray("ab\x80") << 2;
    QTest::newRow("truncated 2-byte sequence at end") << QByteArray("red \xC3") << 4;
    QTest::newRow("overlong '/' (C0 AF)") << QByteArray("\xC0\xAF") << 0;
    QTest::newRow("overlong 3-byte (E0 80 AF)") << QByteArray("x\xE0\x80\xAF") << 1;
    QTest::newRow("surrogate U+D800 (ED A0 80)") << QByteArray("ok \xED\xA0\x80") << 3;
    QTest::newRow("above U+10FFFF (F4 90 80 80)") << QByteArray("\xF4\x90\x80\x80") << 0;
    QTest::newRow("F5 lead byte") << QByteArray("\xF5\x80\x80\x80") << 0;
    QTest::newRow("bad continuation mid-sequence") << QByteArray("\xE2\x82(") << 0;
    // Found by fuzz/fuzz_tokenizer: canonicalText() read past a sequence truncated at the end.
    QFile fuzzFind(testsupport::dataDir() + QStringLiteral("/fuzz/tokenizer_invalid_utf8_truncated_at_end.txt"));
    QVERIFY(fuzzFind.open(QIODevice::ReadOnly));
    QTest::newRow("fuzz find: invalid bytes, sequence truncated at the end") << fuzzFind.readAll() << 4;
}

void TestSiglipTokenizer::invalidUtf8IsRejected()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, offset);
    const std::string text = bytes.toStdString();
    const auto e1 = errorOf([&] { m_tok->tokenize(text); });
    QVERIFY(e1);
    QCOMPARE(e1->code(), ErrorCode::InvalidUtf8);
    QVERIFY2(e1->problem().find("byte " + std::to_string(offset)) != std::string::npos, e1->what());
    const auto e2 = errorOf([&] { m_tok->encode(text); });
    QVERIFY(e2);
    QCOMPARE(e2->code(), ErrorCode::InvalidUtf8);
    const auto e3 = errorOf([&] { SiglipTokenizer::canonicalText(text); });
    QVERIFY(e3);
    QCOMPARE(e3->code(), ErrorCode::InvalidUtf8);
}

void TestSiglipTokenizer::isValidUtf8Table_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<int>("badOffset"); // start of the first ill-formed sequence
    QTest::newRow("empty") << QByteArray() << true << -1;
    QTest::newRow("ascii with NUL") << QByteArray("a\0b", 3) << true << -1;
    QTest::newRow("2-byte U+00FC") << QByteArray("\xC3\xBC") << true << -1;
    QTest::newRow("3-byte U+2581") << QByteArray("\xE2\x96\x81") << true << -1;
    QTest::newRow("U+D7FF (last before surrogates)") << QByteArray("\xED\x9F\xBF") << true << -1;
    QTest::newRow("U+E000 (first after surrogates)") << QByteArray("\xEE\x80\x80") << true << -1;
    QTest::newRow("4-byte U+1F600") << QByteArray("\xF0\x9F\x98\x80") << true << -1;
    QTest::newRow("U+10FFFF") << QByteArray("\xF4\x8F\xBF\xBF") << true << -1;
    QTest::newRow("lone continuation") << QByteArray("\xBF") << false << 0;
    QTest::newRow("C1 overlong lead") << QByteArray("a\xC1\x81") << false << 1;
    QTest::newRow("overlong 4-byte (F0 8F ..)") << QByteArray("\xF0\x8F\xBF\xBF") << false << 0;
    QTest::newRow("surrogate U+DFFF") << QByteArray("\xED\xBF\xBF") << false << 0;
    QTest::newRow("U+110000") << QByteArray("\xF4\x90\x80\x80") << false << 0;
    QTest::newRow("FF byte") << QByteArray("abc\xFF") << false << 3;
    QTest::newRow("truncated 4-byte at end") << QByteArray("ab\xF0\x9F\x98") << false << 2;
    QTest::newRow("ASCII where continuation expected") << QByteArray("\xE2\x96x") << false << 0;
}

void TestSiglipTokenizer::isValidUtf8Table()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, valid);
    QFETCH(int, badOffset);
    std::size_t offset = 12345;
    QCOMPARE(isValidUtf8(std::string_view(bytes.constData(), static_cast<std::size_t>(bytes.size())), &offset), valid);
    if (!valid)
        QCOMPARE(offset, std::size_t(badOffset));
    else
        QCOMPARE(offset, std::size_t(12345)); // untouched on success
    QCOMPARE(isValidUtf8(std::string_view(bytes.constData(), static_cast<std::size_t>(bytes.size()))), valid);
}

void TestSiglipTokenizer::missingModelIsNamed()
{
    const QString dir = testsupport::scratchDir(QStringLiteral("tok-missing"));
    const auto e = errorOf([&] { SiglipTokenizer::load(dir.toStdString(), 16); });
    QVERIFY(e);
    QCOMPARE(e->code(), ErrorCode::FileNotFound);
    QVERIFY2(e->file().find("spiece.model") != std::string::npos, e->what());
    QVERIFY(std::string(e->what()).find('\n') == std::string::npos);
}

void TestSiglipTokenizer::corruptModelFails_data()
{
    QTest::addColumn<QByteArray>("bytes");
    const std::string good = bytesOf(testsupport::tinyCheckpointDir() + QStringLiteral("/spiece.model"));
    QVERIFY(good.size() > 1000);
    std::mt19937 rng(7);
    std::string garbage(4096, '\0');
    for (char &c : garbage)
        c = static_cast<char>(rng() & 0xFF);
    QTest::newRow("empty file") << QByteArray();
    QTest::newRow("truncated to half") << QByteArray::fromStdString(good.substr(0, good.size() / 2));
    QTest::newRow("last byte cut") << QByteArray::fromStdString(good.substr(0, good.size() - 1));
    QTest::newRow("random bytes") << QByteArray::fromStdString(garbage);
    QTest::newRow("text file") << QByteArray("this is not a sentencepiece model\n");
    QTest::newRow("endless varint") << QByteArray(32, '\xFF');
    QTest::newRow("length past the end") << QByteArray("\x0A\xFF\xFF\x03xyz");
    // Well-formed protobuf, but field 1 (pieces) as a varint instead of a message.
    QTest::newRow("valid protobuf, not a model") << QByteArray("\x08\x05", 2);
    // Valid wire format, zero pieces.
    QTest::newRow("only a normalizer spec") << QByteArray("\x1A\x02\x18\x01", 4);
}

void TestSiglipTokenizer::corruptModelFails()
{
    QFETCH(QByteArray, bytes);
    const QString dir = testsupport::scratchDir(QStringLiteral("tok-corrupt"));
    writeBytes(dir + QStringLiteral("/spiece.model"), bytes.toStdString());
    const auto e = errorOf([&] { SiglipTokenizer::load(dir.toStdString(), 16); });
    QVERIFY(e);
    QCOMPARE(e->code(), ErrorCode::TokenizerFailed);
    QVERIFY2(e->file().find("spiece.model") != std::string::npos, e->what());
    QVERIFY2(std::string(e->what()).find('\n') == std::string::npos, e->what());
}

void TestSiglipTokenizer::modelMaxLengthFromConfig_data()
{
    QTest::addColumn<int>("modelMaxLength");
    QTest::newRow("shorter (8)") << 8;
    QTest::newRow("longer (24)") << 24;
    QTest::newRow("minimum (2)") << 2;
}

void TestSiglipTokenizer::modelMaxLengthFromConfig()
{
    QFETCH(int, modelMaxLength);
    QJsonObject config = tinyTokenizerConfig();
    QVERIFY(!config.isEmpty());
    config.insert(QStringLiteral("model_max_length"), modelMaxLength);
    const QString dir = checkpointWith(QStringLiteral("tok-maxlen"), config, true);
    const SiglipTokenizer tok = SiglipTokenizer::load(dir.toStdString(), 64);
    QCOMPARE(tok.maxLength(), modelMaxLength);

    // Long reference case: its untruncated ids cut to max - 1, then eos.
    const QJsonArray cases = testsupport::reference().value(QStringLiteral("tokenizer_cases")).toArray();
    const QJsonObject longCase = cases.at(22).toObject();
    QVERIFY(longCase.value(QStringLiteral("text")).toString().startsWith(QStringLiteral("wordword")));
    Ids full = testsupport::intArray(longCase.value(QStringLiteral("input_ids_no_padding")));
    Ids expected(full.begin(), full.begin() + modelMaxLength - 1);
    expected.push_back(1);
    QCOMPARE(tok.encode(longCase.value(QStringLiteral("text")).toString().toStdString()), expected);

    // Short text: padded with eos/pad to the configured length.
    const Ids hello = tok.encode("hello");
    QCOMPARE(hello.size(), std::size_t(modelMaxLength));
    if (modelMaxLength >= 5) {
        Ids expectedHello{160, 20, 7, 134};
        expectedHello.resize(std::size_t(modelMaxLength), 1);
        QCOMPARE(hello, expectedHello);
    } else {
        QCOMPARE(hello, (Ids{160, 1}));
    }
    QCOMPARE(tok.encode("hello", false), (Ids{160, 20, 7, 134, 1}));
}

void TestSiglipTokenizer::withoutJsonFilesUsesDefaults()
{
    // Only spiece.model: SiglipTokenizer's class defaults (</s>, <unk>, lowercasing, lstrip/rstrip)
    // give the same tokens; the length comes from the fallback.
    const QString dir = checkpointWith(QStringLiteral("tok-bare"), std::nullopt, false);
    const SiglipTokenizer tok = SiglipTokenizer::load(dir.toStdString(), 12);
    QCOMPARE(tok.maxLength(), 12);
    QCOMPARE(tok.eosId(), std::int64_t(1));
    QCOMPARE(tok.padId(), std::int64_t(1));
    QCOMPARE(tok.unkId(), std::int64_t(2));
    const QJsonArray cases = testsupport::reference().value(QStringLiteral("tokenizer_cases")).toArray();
    for (const QJsonValue v : cases) {
        const QJsonObject c = v.toObject();
        const std::string text = c.value(QStringLiteral("text")).toString().toStdString();
        QCOMPARE(tok.tokenize(text), testsupport::stringArray(c.value(QStringLiteral("tokens"))));
        QCOMPARE(tok.encode(text, false), testsupport::intArray(c.value(QStringLiteral("input_ids_no_padding"))));
        QCOMPARE(tok.encode(text).size(), std::size_t(12));
    }
}

void TestSiglipTokenizer::leftPaddingAndTruncation()
{
    QJsonObject config = tinyTokenizerConfig();
    config.insert(QStringLiteral("padding_side"), QStringLiteral("left"));
    config.insert(QStringLiteral("truncation_side"), QStringLiteral("left"));
    config.insert(QStringLiteral("model_max_length"), 6);
    const QString dir = checkpointWith(QStringLiteral("tok-left"), config, true);
    const SiglipTokenizer tok = SiglipTokenizer::load(dir.toStdString(), 64);
    QCOMPARE(tok.encode("hello"), (Ids{1, 160, 20, 7, 134, 1}));
    // "hello world" = 8 tokens: the first 3 are dropped, eos appended.
    QCOMPARE(tok.encode("hello world"), (Ids{134, 3, 222, 139, 233, 1}));
}

void TestSiglipTokenizer::malformedTokenizerConfig_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("key"); // empty: the file as a whole
    QTest::newRow("not JSON") << QByteArray("{\"model_max_length\": 16,") << QString();
    QTest::newRow("JSON array") << QByteArray("[1, 2]") << QString();
    QTest::newRow("model_max_length string")
        << QByteArray(R"({"model_max_length": "16"})") << QStringLiteral("model_max_length");
    QTest::newRow("model_max_length fraction")
        << QByteArray(R"({"model_max_length": 16.5})") << QStringLiteral("model_max_length");
    QTest::newRow("model_max_length zero")
        << QByteArray(R"({"model_max_length": 0})") << QStringLiteral("model_max_length");
    QTest::newRow("do_lower_case string")
        << QByteArray(R"({"do_lower_case": "yes"})") << QStringLiteral("do_lower_case");
    QTest::newRow("eos_token number") << QByteArray(R"({"eos_token": 1})") << QStringLiteral("eos_token");
    QTest::newRow("eos_token null") << QByteArray(R"({"eos_token": null})") << QStringLiteral("eos_token");
    QTest::newRow("unk_token object without content")
        << QByteArray(R"({"unk_token": {"lstrip": true}})") << QStringLiteral("unk_token.content");
    QTest::newRow("added_tokens_decoder bad id")
        << QByteArray(R"({"added_tokens_decoder": {"x": {"content": "</s>"}}})")
        << QStringLiteral("added_tokens_decoder.x");
    QTest::newRow("added_tokens_decoder flag type")
        << QByteArray(R"({"added_tokens_decoder": {"1": {"content": "</s>", "rstrip": 1}}})")
        << QStringLiteral("added_tokens_decoder.1.rstrip");
    QTest::newRow("padding_side unknown")
        << QByteArray(R"({"padding_side": "middle"})") << QStringLiteral("padding_side");
}

void TestSiglipTokenizer::malformedTokenizerConfig()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, key);
    const QString dir = checkpointWith(QStringLiteral("tok-badconfig"), std::nullopt, false);
    writeBytes(dir + QStringLiteral("/tokenizer_config.json"), json.toStdString());
    const auto e = errorOf([&] { SiglipTokenizer::load(dir.toStdString(), 16); });
    QVERIFY(e);
    QCOMPARE(e->code(), ErrorCode::MalformedConfig);
    QVERIFY2(e->file().find("tokenizer_config.json") != std::string::npos, e->what());
    QCOMPARE(QString::fromStdString(e->subject()), key);
    QVERIFY2(std::string(e->what()).find('\n') == std::string::npos, e->what());
}

void TestSiglipTokenizer::movedTokenizerStillWorks()
{
    SiglipTokenizer a = SiglipTokenizer::load(testsupport::tinyCheckpointPath(), 64);
    SiglipTokenizer b = std::move(a);
    QCOMPARE(b.encode("hello", false), (Ids{160, 20, 7, 134, 1}));
    SiglipTokenizer c = SiglipTokenizer::load(testsupport::tinyCheckpointPath(), 64);
    c = std::move(b);
    QCOMPARE(c.tokenize("Hello World"), (Tokens{"▁h", "el", "l", "o", "▁", "w", "or", "ld"}));
}

QTEST_MAIN(TestSiglipTokenizer)
#include "tst_sigliptokenizer.moc"

// `lookalike embed` end to end, and the CLI's --help / --version / errors: the JSON output
// equals transformers' numbers for tiny_a; every failure is one line on stderr naming the file.
#include "core/model/SiglipModel.h"
#include "support/CliRunner.h"
#include "support/RefData.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>
#include <QTest>

using testsupport::runLookalike;

namespace {

QStringList refImageFiles()
{
    QStringList files;
    for (const QJsonValue &img : testsupport::reference().value(QStringLiteral("images")).toArray())
        files << testsupport::refDir() + QLatin1Char('/') + img.toObject().value(QStringLiteral("file")).toString();
    return files;
}

QStringList refTextStrings()
{
    QStringList texts;
    for (const QJsonValue &t : testsupport::reference().value(QStringLiteral("texts")).toArray())
        texts << t.toObject().value(QStringLiteral("text")).toString();
    return texts;
}

QString writeFile(const QString &dir, const QString &name, const QByteArray &bytes)
{
    QFile f(dir + QLatin1Char('/') + name);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        qFatal("cannot write");
    f.write(bytes);
    return f.fileName();
}

// A copy of tiny_a to break in one place.
QString checkpointCopy()
{
    const QString dir = testsupport::scratchDir(QStringLiteral("cli-model"));
    for (const QFileInfo &fi : QDir(testsupport::tinyCheckpointDir()).entryInfoList(QDir::Files))
        QFile::copy(fi.absoluteFilePath(), dir + QLatin1Char('/') + fi.fileName());
    return dir;
}

void verifyOneLineError(const testsupport::CliResult &r, const QString &mustMention)
{
    QVERIFY2(r.exitCode != 0, r.out.constData());
    const QString err = QString::fromUtf8(r.err);
    QVERIFY2(err.endsWith(QLatin1Char('\n')) && err.count(QLatin1Char('\n')) == 1, qPrintable(err));
    QVERIFY2(err.contains(mustMention), qPrintable(err));
}

} // namespace

class TestCliEmbed : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void jsonMatchesTransformers();
    void tableOutput();
    void imagesOnlyHaveNoLogits();
    void siglip2FoldersSayWhatWasLoaded_data();
    void siglip2FoldersSayWhatWasLoaded();
    void helpAndVersion();
    void errorsAreOneLineNamingTheFile_data();
    void errorsAreOneLineNamingTheFile();
    void usageErrors();
    void verboseIsAcceptedByEveryCommand();
    void numericOptionsNameThemselves_data();
    void numericOptionsNameThemselves();
};

void TestCliEmbed::jsonMatchesTransformers()
{
    // Parity with transformers is checked in fp32 (the default, auto, is bf16 on CPUs that have it).
    QStringList args{QStringLiteral("embed"), QStringLiteral("--model"), testsupport::tinyCheckpointDir(),
                     QStringLiteral("--json"), QStringLiteral("--precision"), QStringLiteral("fp32")};
    for (const QString &f : refImageFiles())
        args << QStringLiteral("--image") << f;
    for (const QString &t : refTextStrings())
        args << QStringLiteral("--text") << t;
    const auto r = runLookalike(args);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QJsonParseError perr{};
    const QJsonObject doc = QJsonDocument::fromJson(r.out, &perr).object();
    QCOMPARE(perr.error, QJsonParseError::NoError);

    const QJsonObject ref = testsupport::reference();
    const QJsonObject config = doc.value(QStringLiteral("model")).toObject().value(QStringLiteral("config")).toObject();
    QCOMPARE(
        config.value(QStringLiteral("vision")).toObject().value(QStringLiteral("layer_norm_eps")).toDouble(), 1e-6);
    QCOMPARE(config.value(QStringLiteral("text")).toObject().value(QStringLiteral("vocab_size")).toInt(), 400);
    QCOMPARE(doc.value(QStringLiteral("model")).toObject().value(QStringLiteral("logit_bias")).toDouble(),
        ref.value(QStringLiteral("model")).toObject().value(QStringLiteral("logit_bias")).toDouble());

    const QJsonArray images = doc.value(QStringLiteral("images")).toArray();
    QCOMPARE(images.size(), 6);
    for (int i = 0; i < 6; ++i) {
        QCOMPARE(images.at(i).toObject().value(QStringLiteral("file")).toString(), refImageFiles().at(i));
        const double diff = testsupport::maxAbsDiff(
            testsupport::floatArray(images.at(i).toObject().value(QStringLiteral("embedding"))),
            testsupport::floatArray(
                ref.value(QStringLiteral("images")).toArray().at(i).toObject().value(QStringLiteral("image_embeds"))));
        QVERIFY2(diff < 1e-4, qPrintable(QStringLiteral("image %1: %2").arg(i).arg(diff)));
    }
    const QJsonArray texts = doc.value(QStringLiteral("texts")).toArray();
    QCOMPARE(texts.size(), 6);
    for (int i = 0; i < 6; ++i) {
        const QJsonObject refText = ref.value(QStringLiteral("texts")).toArray().at(i).toObject();
        QCOMPARE(texts.at(i).toObject().value(QStringLiteral("text")).toString(), refTextStrings().at(i));
        QCOMPARE(testsupport::intArray(texts.at(i).toObject().value(QStringLiteral("input_ids"))),
            testsupport::intArray(refText.value(QStringLiteral("input_ids"))));
        QVERIFY(
            testsupport::maxAbsDiff(testsupport::floatArray(texts.at(i).toObject().value(QStringLiteral("embedding"))),
                testsupport::floatArray(refText.value(QStringLiteral("text_embeds"))))
            < 1e-4);
    }
    const QJsonArray logits = doc.value(QStringLiteral("logits_per_image")).toArray();
    QCOMPARE(logits.size(), 6);
    QCOMPARE(logits.at(0).toArray().size(), 6);
    QVERIFY(testsupport::maxAbsDiff(testsupport::floatArray(logits),
                testsupport::floatArray(
                    ref.value(QStringLiteral("logits_per_image")).toObject().value(QStringLiteral("rows"))))
        < 1e-4);
}

void TestCliEmbed::tableOutput()
{
    const auto r = runLookalike({QStringLiteral("embed"), QStringLiteral("--model"), testsupport::tinyCheckpointDir(),
        QStringLiteral("--image"), refImageFiles().at(0), QStringLiteral("--text"),
        QStringLiteral("red cotton t-shirt"), QStringLiteral("--precision"), QStringLiteral("fp32")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QString out = QString::fromUtf8(r.out);
    // How the batches run, said: lanes of one thread each (SiglipModel::measuredLanes).
    QVERIFY2(out.contains(QStringLiteral("runs: ")) && out.contains(QStringLiteral("rows per pass")), qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("Images (64 dimensions)")), qPrintable(out));
    QVERIFY(out.contains(QStringLiteral("ids 67 48 53 111 1")));
    QVERIFY(out.contains(QStringLiteral("Logits per image")));
    QVERIFY(out.contains(QStringLiteral("img0_rgb_37x53.png")));
    QVERIFY2(out.contains(QStringLiteral("precision: fp32")), qPrintable(out));

    // --precision bf16: said, and the same ids; a value it does not know is a usage error.
    const auto bf16 = runLookalike({QStringLiteral("embed"), QStringLiteral("--model"), testsupport::tinyCheckpointDir(),
        QStringLiteral("--text"), QStringLiteral("red cotton t-shirt"), QStringLiteral("--precision"), QStringLiteral("bf16")});
    QVERIFY2(bf16.exitCode == 0, bf16.err.constData());
    QVERIFY2(QString::fromUtf8(bf16.out).contains(QStringLiteral("precision: bf16 products")), bf16.out.constData());
    QVERIFY(bf16.out.contains("ids 67 48 53 111 1"));
    // No --precision: auto, bf16 where this CPU multiplies it natively, fp32 elsewhere.
    const auto automatic = runLookalike({QStringLiteral("embed"), QStringLiteral("--model"),
        testsupport::tinyCheckpointDir(), QStringLiteral("--text"), QStringLiteral("red cotton t-shirt")});
    QVERIFY2(automatic.exitCode == 0, automatic.err.constData());
    QVERIFY2(automatic.out.contains(lookalike::SiglipModel::bf16Supported() ? "precision: bf16 products (AVX512-BF16)"
                                                                            : "precision: fp32"),
             automatic.out.constData());
    const auto bad = runLookalike({QStringLiteral("embed"), QStringLiteral("--model"), testsupport::tinyCheckpointDir(),
        QStringLiteral("--text"), QStringLiteral("x"), QStringLiteral("--precision"), QStringLiteral("fp16")});
    QCOMPARE(bad.exitCode, 2);
    QVERIFY(bad.err.contains("--precision must be fp32, bf16 or auto"));
}

void TestCliEmbed::siglip2FoldersSayWhatWasLoaded_data()
{
    QTest::addColumn<QString>("folder");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("naflex, transformers 5 layout")
        << QStringLiteral("s2naf_a")
        << QStringList{QStringLiteral("model: SigLIP 2 NaFlex (siglip2)"),
                       QStringLiteral("images: Siglip2ImageProcessor, aspect ratio kept, at most 24 patches of 8 px, bilinear resize"),
                       QStringLiteral("text: Gemma (tokenizer.json, tokenizers BPE, 600 pieces), 16 tokens"),
                       QStringLiteral("ids 271 530 434 370 545 367 500 1 0")};
    QTest::newRow("fixres, hub layout")
        << QStringLiteral("s2fix_a_hub")
        << QStringList{QStringLiteral("model: SigLIP 2 FixRes (siglip)"),
                       QStringLiteral("images: SiglipImageProcessor, 32x32, bilinear resize"),
                       QStringLiteral("text: Gemma (tokenizer.model, SentencePiece, 600 pieces), 16 tokens")};
}

void TestCliEmbed::siglip2FoldersSayWhatWasLoaded()
{
    QFETCH(QString, folder);
    QFETCH(QStringList, expected);
    const auto r = runLookalike({QStringLiteral("embed"), QStringLiteral("--model"),
        testsupport::dataDir() + QStringLiteral("/siglip2_ref/") + folder, QStringLiteral("--image"),
        refImageFiles().at(2), QStringLiteral("--text"), QStringLiteral("red cotton t-shirt")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QString out = QString::fromUtf8(r.out);
    for (const QString &e : expected)
        QVERIFY2(out.contains(e), qPrintable(QStringLiteral("'%1' not in:\n%2").arg(e, out)));
}

void TestCliEmbed::imagesOnlyHaveNoLogits()
{
    const auto r = runLookalike({QStringLiteral("embed"), QStringLiteral("--model"), testsupport::tinyCheckpointDir(),
        QStringLiteral("--image"), refImageFiles().at(1), QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject doc = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(doc.value(QStringLiteral("images")).toArray().size(), 1);
    QVERIFY(doc.value(QStringLiteral("texts")).toArray().isEmpty());
    QVERIFY(!doc.contains(QStringLiteral("logits_per_image")));
}

void TestCliEmbed::helpAndVersion()
{
    const auto help = runLookalike({QStringLiteral("--help")});
    QCOMPARE(help.exitCode, 0);
    QVERIFY(help.out.contains("embed"));
    QVERIFY(help.out.contains("Usage: lookalike"));
    const auto version = runLookalike({QStringLiteral("--version")});
    QCOMPARE(version.exitCode, 0);
    QVERIFY(QString::fromUtf8(version.out).trimmed().startsWith(QStringLiteral("lookalike 0.")));
    const auto embedHelp = runLookalike({QStringLiteral("embed"), QStringLiteral("--help")});
    QCOMPARE(embedHelp.exitCode, 0);
    QVERIFY(embedHelp.out.contains("--model"));
    QVERIFY(embedHelp.out.contains("--json"));
}

void TestCliEmbed::errorsAreOneLineNamingTheFile_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentions");

    const QString scratch = testsupport::scratchDir(QStringLiteral("cli-bad"));
    const QString corruptImage
        = writeFile(scratch, QStringLiteral("corrupt.png"), QByteArray("\x89PNG\r\n\x1a\nnot really"));
    QTest::newRow("corrupt image") << QStringList{QStringLiteral("--image"), corruptImage} << corruptImage;
    QTest::newRow("missing image") << QStringList{QStringLiteral("--image"), scratch + QStringLiteral("/nope.jpg")}
                                   << scratch + QStringLiteral("/nope.jpg");
    QTest::newRow("non-UTF-8 text") << QStringList{QStringLiteral("--text"), QString::fromLatin1("caf\xe9")}
                                    << QStringLiteral("UTF-8");
}

void TestCliEmbed::errorsAreOneLineNamingTheFile()
{
    QFETCH(QStringList, args);
    QFETCH(QString, mentions);
    if (QTest::currentDataTag() == QByteArray("non-UTF-8 text")) {
        // QProcess re-encodes arguments as UTF-8, so pass the raw byte through a shell.
        QProcess p;
        p.start(QStringLiteral("/bin/sh"),
            {QStringLiteral("-c"), QStringLiteral("\"$0\" embed --model \"$1\" --text \"$(printf 'caf\\351')\""),
                testsupport::lookalikeExecutable(), testsupport::tinyCheckpointDir()});
        QVERIFY(p.waitForFinished(60000));
        verifyOneLineError({p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()}, mentions);
        return;
    }
    QStringList full{QStringLiteral("embed"), QStringLiteral("--model"), testsupport::tinyCheckpointDir()};
    verifyOneLineError(runLookalike(full + args), mentions);
}

void TestCliEmbed::verboseIsAcceptedByEveryCommand()
{
    // --verbose belongs to no command's own options; it only adds a library's whole message
    // (a LibTorch backtrace) after the one line. Lookalike's own errors stay one line.
    const auto r = runLookalike({QStringLiteral("embed"), QStringLiteral("--verbose"), QStringLiteral("--model"),
        QStringLiteral("/no/such/model")});
    QCOMPARE(r.exitCode, 1); // the command ran (not a usage error) and failed on the folder
    verifyOneLineError(r, QStringLiteral("/no/such/model"));
    const auto help = runLookalike({QStringLiteral("--help")});
    QVERIFY(QString::fromUtf8(help.out).contains(QStringLiteral("--verbose")));
}

void TestCliEmbed::usageErrors()
{
    const QString model = checkpointCopy();
    // Malformed config.json: the file and the key are named.
    writeFile(
        model, QStringLiteral("config.json"), R"({"model_type": "siglip", "vision_config": {"hidden_size": "big"}})");
    verifyOneLineError(runLookalike({QStringLiteral("embed"), QStringLiteral("--model"), model,
                           QStringLiteral("--text"), QStringLiteral("x")}),
        model + QStringLiteral("/config.json: vision_config.hidden_size"));
    // Truncated weights.
    const QString model2 = checkpointCopy();
    QFile w(model2 + QStringLiteral("/model.safetensors"));
    QVERIFY(w.resize(1000));
    verifyOneLineError(runLookalike({QStringLiteral("embed"), QStringLiteral("--model"), model2,
                           QStringLiteral("--text"), QStringLiteral("x")}),
        model2 + QStringLiteral("/model.safetensors"));
    // Missing model folder, missing --model, unknown command.
    verifyOneLineError(
        runLookalike({QStringLiteral("embed"), QStringLiteral("--model"), QStringLiteral("/no/such/model")}),
        QStringLiteral("/no/such/model"));
    const auto noModel = runLookalike({QStringLiteral("embed"), QStringLiteral("--text"), QStringLiteral("x")});
    QCOMPARE(noModel.exitCode, 2);
    QVERIFY(noModel.err.contains("--model"));
    const auto unknown = runLookalike({QStringLiteral("embedd")});
    QCOMPARE(unknown.exitCode, 2);
    QVERIFY(unknown.err.contains("unknown command 'embedd'"));
    // Every command parses its arguments the same way (CliOutput.h), the three that once did it
    // by hand included: a stray argument, a missing one, a repeated one.
    const auto stray = runLookalike({QStringLiteral("embed"), QStringLiteral("photo.jpg")});
    QCOMPARE(stray.exitCode, 2);
    QVERIFY2(stray.err.contains("unexpected argument 'photo.jpg' (see --help)"), stray.err.constData());
    const auto noShard = runLookalike({QStringLiteral("merge-shards"), QStringLiteral("/tmp/p")});
    QCOMPARE(noShard.exitCode, 2);
    QVERIFY2(noShard.err.contains("missing SHARD..."), noShard.err.constData());
    const auto twoFolders = runLookalike({QStringLiteral("demo"), QStringLiteral("a"), QStringLiteral("b")});
    QCOMPARE(twoFolders.exitCode, 2);
    QVERIFY(twoFolders.err.contains("unexpected argument 'b'"));
    const auto help = runLookalike({QStringLiteral("merge-shards"), QStringLiteral("--help")});
    QCOMPARE(help.exitCode, 0);
    QVERIFY(help.out.contains("PROJECT SHARD..."));
}

// Every numeric option refuses NaN, infinities, values out of its range and integers beyond
// 64 bits, with one line naming the option (usage error 2), before anything runs: a NaN
// learning rate once trained a complete folder of NaN weights, and --workers 100000 aborted.
void TestCliEmbed::numericOptionsNameThemselves_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("expected");
    const QStringList tune{QStringLiteral("finetune"), QStringLiteral("/no/project"), QStringLiteral("--model"),
                           QStringLiteral("/no/model"), QStringLiteral("--out"), QStringLiteral("/no/out")};
    for (const char *option : {"lr", "weight-decay", "validation", "warmup", "clip"})
        for (const char *value : {"nan", "inf", "-inf"})
            QTest::addRow("finetune --%s %s", option, value)
                << tune + QStringList{QStringLiteral("--%1").arg(QLatin1String(option)), QLatin1String(value)}
                << QStringLiteral("--%1 must be a finite number in").arg(QLatin1String(option));
    QTest::newRow("finetune --lr above 1") << tune + QStringList{QStringLiteral("--lr"), QStringLiteral("5")}
                                           << QStringLiteral("--lr must be a finite number in [1e-09, 1], got '5'");
    const QStringList index{QStringLiteral("index"), QStringLiteral("/no/project"), QStringLiteral("--model"),
                            QStringLiteral("/no/model"), QStringLiteral("--name"), QStringLiteral("v")};
    QTest::newRow("index --workers 100000") << index + QStringList{QStringLiteral("--workers"), QStringLiteral("100000")}
                                            << QStringLiteral("--workers must be an integer in [0, 256], got 100000 (out of range)");
    QTest::newRow("index --threads 100000") << index + QStringList{QStringLiteral("--threads"), QStringLiteral("100000")}
                                            << QStringLiteral("--threads must be an integer in [0, 256]");
    QTest::newRow("embed --threads 100000")
        << QStringList{QStringLiteral("embed"), QStringLiteral("--model"), QStringLiteral("/no/model"),
                       QStringLiteral("--threads"), QStringLiteral("100000")}
        << QStringLiteral("--threads must be an integer in [0, 256]");
    QTest::newRow("finetune --threads 100000") << tune + QStringList{QStringLiteral("--threads"), QStringLiteral("100000")}
                                               << QStringLiteral("--threads must be an integer in [0, 256]");
    QTest::newRow("a seed beyond 64 bits")
        << tune + QStringList{QStringLiteral("--seed"), QStringLiteral("99999999999999999999999")}
        << QStringLiteral("--seed must be an integer >= 0, got '99999999999999999999999' (out of range)");
    QTest::newRow("assign --overlap nan")
        << QStringList{QStringLiteral("assign"), QStringLiteral("/no/project"), QStringLiteral("--raters"),
                       QStringLiteral("a,b"), QStringLiteral("--overlap"), QStringLiteral("nan")}
        << QStringLiteral("--overlap must be a finite number in [0, 1], got 'nan'");
}

void TestCliEmbed::numericOptionsNameThemselves()
{
    QFETCH(QStringList, args);
    QFETCH(QString, expected);
    const auto r = runLookalike(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(expected.toUtf8()), r.err.constData());
    QCOMPARE(r.err.count('\n'), 1);
}

QTEST_MAIN(TestCliEmbed)
#include "tst_cli_embed.moc"

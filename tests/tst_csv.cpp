// The one CSV writer (core/util/Csv.h): RFC 4180 quoting, and OWASP's neutralisation of cells a
// spreadsheet would run as formulas, with plain numbers left numeric.
#include "core/util/Csv.h"

#include <QTest>

using namespace lookalike;

class TestCsv : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void quoting_data();
    void quoting();
    void rows();
};

void TestCsv::quoting_data()
{
    QTest::addColumn<QString>("in");
    QTest::addColumn<QString>("out");
    QTest::newRow("plain") << "red mug" << "red mug";
    QTest::newRow("empty") << "" << "";
    QTest::newRow("comma") << "a,b" << "\"a,b\"";
    QTest::newRow("quote") << "say \"hi\"" << "\"say \"\"hi\"\"\"";
    QTest::newRow("newline") << "a\nb" << "\"a\nb\"";
    // Formula injection (the cases): shown as text, never run.
    QTest::newRow("cmd") << "=cmd|' /C calc'!A0" << "'=cmd|' /C calc'!A0";
    QTest::newRow("plus") << "+SUM(A1)" << "'+SUM(A1)";
    QTest::newRow("at") << "@SUM(1)" << "'@SUM(1)";
    QTest::newRow("minus formula") << "-2+3" << "'-2+3";
    QTest::newRow("minus text") << "-cmd" << "'-cmd";
    QTest::newRow("tab") << "\t=1" << "'\t=1";
    QTest::newRow("cr") << "\r=1" << "\"'\r=1\""; // neutralised, then quoted for the CR
    QTest::newRow("formula with comma") << "=HYPERLINK(\"x\",\"y\")" << "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"";
    // Numbers stay numbers, signed or not.
    QTest::newRow("negative") << "-0.125" << "-0.125";
    QTest::newRow("positive") << "+3" << "+3";
    QTest::newRow("exponent") << "-1e-05" << "-1e-05";
    QTest::newRow("leading point") << "-.5" << "-.5";
    QTest::newRow("lone minus") << "-" << "'-";
    QTest::newRow("minus e") << "-e5" << "'-e5";
    QTest::newRow("inner equals") << "a=b" << "a=b";
}

void TestCsv::quoting()
{
    QFETCH(QString, in);
    QFETCH(QString, out);
    QCOMPARE(csvField(in), out);
    QCOMPARE(QString::fromStdString(csvField(in.toStdString())), out);
}

void TestCsv::rows()
{
    QCOMPARE(csvRow(QStringList{QStringLiteral("id"), QStringLiteral("=1+1"), QStringLiteral("-0.5")}),
             QStringLiteral("id,'=1+1,-0.5\n"));
    QCOMPARE(csvRow(std::vector<std::string>{"a,b", "@x"}), std::string("\"a,b\",'@x\n"));
}

QTEST_GUILESS_MAIN(TestCsv)
#include "tst_csv.moc"

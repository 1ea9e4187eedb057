// The main window opens (offscreen), has its menus and actions, and Quit closes it.
#include "ui/MainWindow.h"

#include <QAction>
#include <QLabel>
#include <QMenuBar>
#include <QTest>

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void opensWithMenusAndPlaceholder();
    void quitClosesTheWindow();
};

void TestMainWindow::opensWithMenusAndPlaceholder()
{
    lookalike::ui::MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(w.windowTitle(), QStringLiteral("Lookalike"));
    QStringList menus;
    for (QAction *a : w.menuBar()->actions())
        menus << a->text();
    QCOMPARE(menus, (QStringList{QStringLiteral("&File"), QStringLiteral("&Help")}));
    QVERIFY(w.findChild<QAction *>(QStringLiteral("actionAbout")));
    auto *placeholder = w.findChild<QLabel *>(QStringLiteral("placeholder"));
    QVERIFY(placeholder);
    QVERIFY(placeholder->text().contains(QStringLiteral("No project open")));
    QVERIFY(!w.windowIcon().isNull());
}

void TestMainWindow::quitClosesTheWindow()
{
    lookalike::ui::MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    auto *quit = w.findChild<QAction *>(QStringLiteral("actionQuit"));
    QVERIFY(quit);
    QCOMPARE(quit->shortcut(), QKeySequence(QKeySequence::Quit));
    quit->trigger();
    QVERIFY(!w.isVisible());
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"

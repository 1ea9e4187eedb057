// The Lookalike main window.
#include "ui/MainWindow.h"

#include "core/Version.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>

namespace lookalike::ui {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    setObjectName(QStringLiteral("MainWindow"));
    setWindowTitle(tr("Lookalike"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/lookalike.svg")));
    m_placeholder = new QLabel(tr("No project open.\n\nCreate one with `lookalike init` and open it here."), this);
    m_placeholder->setObjectName(QStringLiteral("placeholder"));
    m_placeholder->setAlignment(Qt::AlignCenter);
    setCentralWidget(m_placeholder);
    createActions();
    statusBar()->showMessage(tr("Ready"));
    resize(1200, 800);
}

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setObjectName(QStringLiteral("actionQuit"));
    quit->setShortcut(QKeySequence::Quit);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *about = help->addAction(tr("&About Lookalike"), this, &MainWindow::showAbout);
    about->setObjectName(QStringLiteral("actionAbout"));
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Lookalike"),
                       tr("<h3>Lookalike %1</h3><p>Review and measure visual product recommendations: "
                          "SigLIP embeddings, nearest neighbours, relevance judgments, nDCG@5 and P@1.</p>")
                           .arg(QStringLiteral(LOOKALIKE_VERSION)));
}

} // namespace lookalike::ui

// The Lookalike main window. For now: menus, an empty review area and the status bar;
// the review, compare and inspect views arrive with the GUI issue.
#pragma once

#include <QMainWindow>

class QLabel;

namespace lookalike::ui {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);

private:
    void createActions();
    void showAbout();

    QLabel *m_placeholder = nullptr;
};

} // namespace lookalike::ui

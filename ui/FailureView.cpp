// Failure cases and the per-category breakdown.
#include "ui/FailureView.h"

#include "core/metrics/FailureAnalysis.h"
#include "ui/ReviewSession.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace lookalike::ui {

FailureModel::FailureModel(ReviewSession *session, QObject *parent)
    : QAbstractTableModel(parent)
    , m_session(session)
{
}

void FailureModel::configure(qint64 a, qint64 b, Order order, const QString &category)
{
    m_a = a;
    m_b = b;
    m_order = order;
    m_category = category;
    reload();
}

void FailureModel::setBlind(bool blind)
{
    m_blind = blind;
    Q_EMIT headerDataChanged(Qt::Horizontal, AColumn, BColumn);
}

void FailureModel::reload()
{
    beginResetModel();
    m_rows.clear();
    auto inCategory = [this](std::int64_t query) {
        return m_session->queryRow(query) >= 0 && (m_category.isEmpty() || m_session->queryCategory(query) == m_category);
    };
    auto valueOf = [this](std::int64_t query, qint64 model, Row &r, bool first) {
        if (const QueryMetrics *m = model ? m_session->queryMetrics(query, model) : nullptr) {
            (first ? r.hasA : r.hasB) = true;
            (first ? r.a : r.b) = m->ndcg5;
        }
    };
    // The orders of core/metrics/FailureAnalysis: lowest first or largest |gap| first, ties by
    // query id; a gap view leaves out queries on which the versions agree.
    const std::size_t all = m_session->queryIds().size();
    std::vector<std::int64_t> order;
    if (m_order == LargestGap) {
        if (m_a && m_b && m_session->model(m_a) && m_session->model(m_b))
            for (const QueryGap &g : largestGaps(m_session->metrics(m_a), m_session->metrics(m_b), Metric::Ndcg5, all))
                order.push_back(g.query);
    } else {
        const qint64 model = m_order == WorstOfA ? m_a : m_b;
        if (model && m_session->model(model))
            for (const QueryValue &v : worstQueries(m_session->metrics(model), Metric::Ndcg5, all))
                order.push_back(v.query);
    }
    for (std::int64_t query : order) {
        if (!inCategory(query))
            continue;
        Row r;
        r.query = query;
        valueOf(query, m_a, r, true);
        valueOf(query, m_b, r, false);
        m_rows.push_back(r);
    }
    endResetModel();
}

qint64 FailureModel::queryAt(int row) const
{
    return row >= 0 && row < rowCount() ? m_rows[static_cast<std::size_t>(row)].query : 0;
}

int FailureModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int FailureModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FailureModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows[static_cast<std::size_t>(index.row())];
    if (role == QueryIdRole)
        return QVariant::fromValue<qint64>(r.query);
    if (role == Qt::TextAlignmentRole && index.column() >= AColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    // The item is read for the cells on screen only: the list can hold every judged query.
    switch (index.column()) {
    case IdColumn:
    case TitleColumn: {
        const std::optional<Item> item = m_session->queryItem(r.query);
        return !item ? QVariant() : QString::fromStdString(index.column() == IdColumn ? item->key : item->title);
    }
    case CategoryColumn:
        return m_session->queryCategory(r.query);
    case AColumn:
        return r.hasA ? QString::number(r.a, 'f', 3) : QStringLiteral("-");
    case BColumn:
        return r.hasB ? QString::number(r.b, 'f', 3) : QStringLiteral("-");
    case DeltaColumn:
        return r.hasA && r.hasB
            ? (r.b - r.a >= 0 ? QStringLiteral("+") : QString()) + QString::number(r.b - r.a, 'f', 3)
            : QStringLiteral("-");
    }
    return {};
}

QVariant FailureModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    auto name = [this](qint64 id, int side) { return m_session->versionLabel(id, side, m_blind); };
    switch (section) {
    case IdColumn:
        return tr("Query");
    case TitleColumn:
        return tr("Title");
    case CategoryColumn:
        return tr("Category");
    case AColumn:
        return tr("nDCG@5 %1").arg(name(m_a, 1));
    case BColumn:
        return tr("nDCG@5 %1").arg(name(m_b, 2));
    case DeltaColumn:
        return tr("Delta");
    }
    return {};
}

FailureView::FailureView(ReviewSession *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_model(new FailureModel(session, this))
{
    setObjectName(QStringLiteral("failureView"));
    auto *layout = new QVBoxLayout(this);
    auto *bar = new QHBoxLayout;
    m_order = new QComboBox(this);
    m_order->setObjectName(QStringLiteral("failureOrder"));
    m_order->addItems(
        {tr("Worst nDCG@5 (first version)"), tr("Worst nDCG@5 (second version)"), tr("Largest gap between versions")});
    m_category = new QComboBox(this);
    m_category->setObjectName(QStringLiteral("failureCategory"));
    m_category->addItem(tr("All categories"), QString());
    for (const QString &c : m_session->categories())
        m_category->addItem(c.isEmpty() ? tr("(none)") : c, c);
    bar->addWidget(new QLabel(tr("Order:"), this));
    bar->addWidget(m_order);
    bar->addWidget(new QLabel(tr("Category:"), this));
    bar->addWidget(m_category);
    bar->addStretch();
    layout->addLayout(bar);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("failureTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(FailureModel::TitleColumn, QHeaderView::Stretch);
    layout->addWidget(m_table, 3);
    layout->addWidget(new QLabel(tr("By category"), this));
    m_breakdown = new QTableWidget(0, 5, this);
    m_breakdown->setObjectName(QStringLiteral("breakdownTable"));
    m_breakdown->verticalHeader()->hide();
    m_breakdown->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_breakdown->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    layout->addWidget(m_breakdown, 2);
    layout->addWidget(new QLabel(tr("Agreement between raters (on the pairs both graded)"), this));
    m_agreement = new QTableWidget(0, 5, this);
    m_agreement->setObjectName(QStringLiteral("agreementTable"));
    m_agreement->setHorizontalHeaderLabels(
        {tr("Rater A"), tr("Rater B"), tr("Pairs"), tr("Weighted kappa (quadratic)"), tr("Same grade")});
    m_agreement->verticalHeader()->hide();
    m_agreement->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_agreement->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    layout->addWidget(m_agreement, 1);

    connect(m_order, &QComboBox::currentIndexChanged, this, &FailureView::apply);
    connect(m_category, &QComboBox::currentIndexChanged, this, &FailureView::apply);
    connect(m_table, &QTableView::activated, this, [this](const QModelIndex &index) {
        if (index.isValid())
            Q_EMIT openQuery(m_model->queryAt(index.row()));
    });
    connect(m_session, &ReviewSession::queriesChanged, this, &FailureView::reload);
    connect(m_session, &ReviewSession::judgmentChanged, this, [this] {
        if (isVisible())
            reload();
    });
    if (!m_session->models().empty())
        setModels(m_session->models().front().id, m_session->models().size() > 1 ? m_session->models()[1].id : 0);
}

void FailureView::setModels(qint64 a, qint64 b)
{
    m_a = a;
    m_b = b;
    apply();
}

void FailureView::setBlind(bool blind)
{
    m_blind = blind;
    m_model->setBlind(blind);
    reloadBreakdown();
}

void FailureView::reload()
{
    m_model->reload();
    reloadBreakdown();
    reloadAgreement();
}

void FailureView::reloadAgreement()
{
    const AgreementReport report = m_session->agreement();
    m_agreement->setRowCount(static_cast<int>(report.pairs.size()));
    int row = 0;
    for (const RaterPairAgreement &p : report.pairs) {
        const QStringList cells{QString::fromStdString(p.raterA), QString::fromStdString(p.raterB),
            QString::number(p.quadratic.items),
            p.quadratic.defined ? QString::number(p.quadratic.kappa, 'f', 3) : tr("n/a"),
            p.unweighted.items > 0
                ? QString::number(100.0 * p.unweighted.observedAgreement, 'f', 1) + QStringLiteral(" %")
                : tr("n/a")};
        for (int c = 0; c < cells.size(); ++c)
            m_agreement->setItem(row, c, new QTableWidgetItem(cells[c]));
        ++row;
    }
}

void FailureView::apply()
{
    m_model->configure(
        m_a, m_b, static_cast<FailureModel::Order>(m_order->currentIndex()), m_category->currentData().toString());
    reloadBreakdown();
}

void FailureView::reloadBreakdown()
{
    std::map<std::int64_t, std::string> groups;
    for (std::int64_t q : m_session->queryIds())
        groups.emplace(q, m_session->queryCategory(q).toStdString());
    auto name = [this](qint64 id, int side) { return m_session->versionLabel(id, side, m_blind); };
    m_breakdown->setHorizontalHeaderLabels({tr("Category"), tr("Queries"), tr("nDCG@5 %1").arg(name(m_a, 1)),
        tr("nDCG@5 %1").arg(name(m_b, 2)), tr("Delta")});
    std::map<std::string, std::pair<const GroupMetrics *, const GroupMetrics *>> rows;
    std::vector<GroupMetrics> a, b;
    if (m_a && m_session->model(m_a))
        a = breakdownByGroup(m_session->metrics(m_a), groups);
    if (m_b && m_session->model(m_b))
        b = breakdownByGroup(m_session->metrics(m_b), groups);
    for (const GroupMetrics &g : a)
        rows[g.group].first = &g;
    for (const GroupMetrics &g : b)
        rows[g.group].second = &g;
    m_breakdown->setRowCount(static_cast<int>(rows.size()));
    int row = 0;
    for (const auto &[group, pair] : rows) {
        const auto [ga, gb] = pair;
        const std::size_t n = std::max(ga ? ga->queries.size() : 0, gb ? gb->queries.size() : 0);
        const QStringList cells{group.empty() ? tr("(none)") : QString::fromStdString(group), QString::number(n),
            ga ? QString::number(ga->mean.ndcg5, 'f', 3) : QStringLiteral("-"),
            gb ? QString::number(gb->mean.ndcg5, 'f', 3) : QStringLiteral("-"),
            ga && gb ? QString::number(gb->mean.ndcg5 - ga->mean.ndcg5, 'f', 3) : QStringLiteral("-")};
        for (int c = 0; c < cells.size(); ++c)
            m_breakdown->setItem(row, c, new QTableWidgetItem(cells[c]));
        ++row;
    }
}

} // namespace lookalike::ui

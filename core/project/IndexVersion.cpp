// indexVersion: register, embed or import, index and freeze (see IndexVersion.h).
#include "core/project/IndexVersion.h"

#include "core/Error.h"
#include "core/project/Project.h"

namespace lookalike {

IndexVersionReport indexVersion(Project &project, const IndexVersionRequest &request)
{
    IndexVersionReport report;
    std::unique_ptr<ImageEncoder> encoder;
    ModelVersion candidate;
    if (request.kind == ModelKind::Precomputed) {
        if (request.ids.empty())
            throw Error(ErrorCode::InvalidArgument, request.source.string(),
                        "precomputed embeddings need the ids file (one catalog id per row)");
        candidate = precomputedVersion(request.name, request.source, request.ids);
        if (request.beforeFingerprint)
            request.beforeFingerprint(weightsFile(request.kind, request.source));
        candidate.fingerprint = sha256OfFile(weightsFile(request.kind, request.source));
    } else {
        OpenedModel model = openModelVersion(request.name, request.kind, request.source, request.threads,
                                             request.embedding.batchSize, request.beforeFingerprint,
                                             resolvePrecision(project, request.name, request.kind, request.precision));
        candidate = std::move(model.candidate);
        encoder = std::move(model.encoder);
    }
    report.version = registerModelVersion(project, candidate);
    if (request.onRegistered)
        request.onRegistered(report.version, encoder ? encoder->schedule() : std::string());

    if (request.kind == ModelKind::Precomputed) {
        report.imported = importPrecomputedEmbeddings(project, report.version, request.source, request.ids);
    } else {
        const IndexVersionRequest::EmbedStep run = [&](const EmbeddingOptions &options) {
            return embedCatalog(project, report.version, *encoder, options);
        };
        report.embedded = request.aroundEmbedding ? request.aroundEmbedding(run) : run(request.embedding);
        if (report.embedded->interrupted || report.embedded->pending > 0)
            return report; // not complete: the next run continues
    }
    report.complete = true;

    // The first index records the project's depth; every later freeze uses it.
    project.reloadSettings(); // a long-lived project (the GUI's) may hold settings changed since
    report.depth = request.depth.value_or(project.resultDepth());
    try {
        report.indexed = buildIndexAndFreeze(project, report.version, request.index, request.checkRecall, report.depth,
                                             request.refreeze, request.excludeDuplicates, request.beforeCommit);
    } catch (const std::exception &e) {
        report.indexFailure = e.what();
        return report;
    }
    if (!project.hasResultDepth())
        project.setResultDepth(report.depth);
    return report;
}

} // namespace lookalike

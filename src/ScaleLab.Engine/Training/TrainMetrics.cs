namespace ScaleLab.Engine.Training;

/// <summary>
/// One optimizer step. <see cref="Step"/> counts completed steps (1 after the first); <see cref="Loss"/> is the mean
/// of the objective over the micro-batches. Gradient norms are before clipping. For the gradient-noise-scale
/// estimator (McCandlish et al. 2018, App. A.1), copied from the trainer's <see cref="GradientNoiseObserver"/>:
/// <see cref="MicroGradNormSq"/> is the mean over the M micro-batches of |g_micro|² (batch B/M) and
/// <see cref="AccumGradNormSq"/> is |G|² of their average (batch B); with M = 1 the two are equal.
/// </summary>
public sealed record StepMetrics(
    long Step,
    long Tokens,
    double Loss,
    double LearningRate,
    double GradNorm,
    double MicroGradNormSq,
    double AccumGradNormSq,
    int MicroBatches,
    int MicroBatchSize,
    double TokensPerSecond,
    double ElapsedSeconds);

/// <summary>Validation loss (nats per token, mean over the fixed validation windows) after <see cref="Step"/> steps.</summary>
public sealed record EvalMetrics(long Step, long Tokens, double ValidationLoss, double ElapsedSeconds);

/// <summary>
/// End of a run. FLOPs, with D = <see cref="Tokens"/>: <see cref="FlopsNonEmbedding"/> = 6·N·D with N the
/// non-embedding parameters (Kaplan et al. 2020), <see cref="FlopsTotal"/> = 6·N_total·D counting every
/// parameter, and <see cref="FlopsWithAttention"/> = D·(6·N_c + 12·L·T·C) as in
/// <see cref="GptConfig.FlopsPerToken"/>. <see cref="FinalTrainLoss"/> is the mean loss of the last
/// min(20, steps) steps of this session; <see cref="LossFloor"/> is the corpus's best achievable expected
/// mean loss over windows of T predictions (null for a text file), <see cref="ValidationFloor"/> the best
/// achievable loss on the actual validation windows.
/// </summary>
public sealed record TrainSummary(
    GptConfig Model,
    string Corpus,
    long Steps,
    long Tokens,
    double FinalTrainLoss,
    double FinalValidationLoss,
    long Parameters,
    long NonEmbeddingParameters,
    double FlopsNonEmbedding,
    double FlopsTotal,
    double FlopsWithAttention,
    double WallSeconds,
    double TokensPerSecond,
    int Threads,
    double? EntropyRate,
    double? LossFloor)
{
    /// <summary>
    /// Bayes-optimal loss on the same validation windows (synthetic corpus only): FinalValidationLoss minus
    /// this is the paired gap to the irreducible loss, free of the validation set's own sampling noise.
    /// </summary>
    public double? ValidationFloor { get; init; }
}

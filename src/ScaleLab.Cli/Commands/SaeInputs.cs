using ScaleLab.Engine.Data;
using ScaleLab.Engine.Sae;
using ScaleLab.Engine.Training;

namespace ScaleLab.Cli.Commands;

/// <summary>What the sae verbs that read a model (capture, eval, features, compare) do alike: an SAE checked against the
/// checkpoint it was captured from, the window length, the corpus's validation windows, and the SAE's names in JSON.</summary>
internal static class SaeInputs
{
    /// <summary>Loads an SAE and a model checkpoint and refuses (one line) an SAE trained on another model's activations
    /// (<see cref="ActivationFile.IdentityOf"/>). The error names the SAE by its path, or as "SAE <paramref name="side"/>
    /// (path)" when given, and ends "<paramref name="fix"/> the checkpoint it was captured from".</summary>
    public static (SaeCheckpoint Sae, Checkpoint Model) LoadMatched(string saePath, string checkpointPath, string fix, string? side = null)
    {
        var sae = SaeCheckpoint.Load(saePath);
        var model = Checkpoint.Load(checkpointPath);
        var identity = ActivationFile.IdentityOf(model.Config, model.Parameters);
        if (sae.ModelIdentity != identity)
        {
            var what = side is null ? saePath : $"SAE {side} ({saePath})";
            throw new InvalidDataException($"{what} was trained on another model's activations (identity {sae.ModelIdentity[..12]}…, {checkpointPath} is {identity[..12]}…); {fix} the checkpoint it was captured from");
        }
        return (sae, model);
    }

    /// <summary>The window length: --seq, or the model's context when it is left out; longer than the context is a usage
    /// error.</summary>
    public static int WindowLength(int? seq, Checkpoint model)
    {
        var length = seq ?? model.Config.SeqLen;
        if (length > model.Config.SeqLen) throw new UsageException($"--seq {length} is longer than the model's context {model.Config.SeqLen}");
        return length;
    }

    /// <summary>The corpus's first <paramref name="windows"/> validation windows of <paramref name="seq"/> tokens: inputs
    /// (windows·seq) and their next-token targets (windows·seq).</summary>
    public static (int[] Inputs, int[] Targets) ValidationWindows(ICorpus corpus, int windows, int seq)
    {
        corpus.CheckSequenceLength(seq);
        var inputs = new int[windows * seq];
        var targets = new int[windows * seq];
        corpus.GetValidation(0, inputs, targets, windows, seq);
        return (inputs, targets);
    }

    /// <summary>The family's name in JSON, as <c>sae train --family</c> spells it.</summary>
    public static string FamilyName(SaeConfig config) => config.Family == SaeFamily.TopK ? "topk" : "relu";

    /// <summary>The first keys of <c>sae eval</c>'s and <c>sae features</c>' JSON documents, in order: the verb, the two
    /// files, and the SAE's site, family, latents and k (null for ReLU+L1).</summary>
    public static Dictionary<string, object?> DocumentHead(string command, SaeOnModelSettings settings, SaeCheckpoint saved) => new()
    {
        ["command"] = command,
        ["sae"] = settings.Sae,
        ["checkpoint"] = settings.Checkpoint,
        ["site"] = saved.Site.ToString(),
        ["family"] = FamilyName(saved.Config),
        ["latents"] = saved.Config.Latents,
        ["k"] = saved.Config.Family == SaeFamily.TopK ? saved.Config.K : null,
    };
}

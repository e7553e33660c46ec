using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Laws;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab plan FIT.json --compute FLOP</c>: compute-optimal N and D under C = 6ND from a chinchilla fit
/// document (Hoffmann et al. 2022 eq. 4), with intervals from the bootstrap draws stored in the document. It says how
/// many decades beyond the fitted compute the budget lies, and refuses (exit 1) a plan resting on a parameter the fit
/// found unidentified unless <c>--allow-unidentified</c>, which makes it labelled UNIDENTIFIED.
/// </summary>
[Verb("plan", "Compute-optimal N and D for a compute budget, from a chinchilla fit document",
    Examples = ["plan chinchilla.json --compute 5.76e23", "plan chinchilla.json --compute 1e21 --json",
        "plan chinchilla.json --compute 1e24 --allow-unidentified"])]
public sealed class PlanCommand(IAnsiConsole console) : Command<PlanCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<FIT>")]
        [Description("Fit document written by `scalelab fit ... --law chinchilla --out FIT.json`")]
        public string Fit { get; set; } = "";

        [CommandOption("--compute <FLOP>")]
        [Description("Training compute budget in FLOP, e.g. 1e24")]
        public string? Compute { get; set; }

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        [CommandOption("--allow-unidentified")]
        [Description("Make the plan even when a parameter it needs is not identified; it is then labelled UNIDENTIFIED")]
        public bool AllowUnidentified { get; set; }

        internal double ComputeValue => double.Parse(Compute!, NumberStyles.Float, CultureInfo.InvariantCulture);

        public override ValidationResult Validate()
        {
            if (Compute is null)
            {
                return ValidationResult.Error("--compute FLOP is required");
            }
            if (!double.TryParse(Compute, NumberStyles.Float, CultureInfo.InvariantCulture, out var c) || !(c > 0) || !double.IsFinite(c))
            {
                return ValidationResult.Error($"--compute must be a positive number of FLOP, got '{Compute}'");
            }
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        InputFiles.EnsureRegularFile("FIT", settings.Fit);
        var doc = LawFitDocument.Read(settings.Fit);
        if (doc.Law != "chinchilla")
        {
            throw new InvalidDataException($"{Path.GetFileName(settings.Fit)}: plan needs a chinchilla fit, this is '{doc.Law}'");
        }
        var plan = ComputePlanner.Plan(doc, settings.ComputeValue, new PlanOptions { RefuseUnidentified = !settings.AllowUnidentified });
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(plan, LawFitDocument.JsonOptions));
            return CliApp.ExitOk;
        }
        string Iv(Interval? i) => i is null ? "" : $"[{FitOutput.F(i.Lo)}, {FitOutput.F(i.Hi)}]";
        var table = new Table().AddColumns("quantity", "value", plan.Samples > 0 ? $"{NumberStyle.Percent(plan.Level, 2)} interval ({plan.Samples} draws)" : "interval (no bootstrap in the fit)");
        FitOutput.AddRow(table, "N_opt (parameters)", FitOutput.F(plan.N), Iv(plan.NInterval));
        FitOutput.AddRow(table, "D_opt (tokens)", FitOutput.F(plan.D), Iv(plan.DInterval));
        FitOutput.AddRow(table, "tokens per parameter", FitOutput.F(plan.TokensPerParameter), Iv(plan.TokensPerParameterInterval));
        FitOutput.AddRow(table, "predicted loss", FitOutput.F(plan.Loss), Iv(plan.LossInterval));
        console.MarkupLine($"[bold]compute-optimal allocation[/] for C = {FitOutput.F(plan.Compute)} FLOP (C = 6ND)");
        console.WriteLine($"plan: {plan.Label}");
        console.Write(table);
        foreach (var statement in plan.Statements)
        {
            console.WriteLine($"note: {statement}");
        }
        console.WriteLine($"N_opt ∝ C^{NumberStyle.Format(plan.AExponent, 3)}, D_opt ∝ C^{NumberStyle.Format(plan.BExponent, 3)} (a = beta/(alpha+beta), b = alpha/(alpha+beta))");
        return CliApp.ExitOk;
    }
}

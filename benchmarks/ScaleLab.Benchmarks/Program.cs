// Benchmark program: `dotnet run -c Release --project benchmarks/ScaleLab.Benchmarks -- fit|engine|speculate|distill|hex [--json]`.
// Each suite is a class ScaleLab.Benchmarks.<Name>Benchmark with `public static int Run(string[] args)`;
// every figure it prints is ours against a peer measured side by side in the same run.
using System.Reflection;

var suites = typeof(Program).Assembly.GetTypes()
    .Where(t => t.Name.EndsWith("Benchmark", StringComparison.Ordinal) && t.GetMethod("Run", BindingFlags.Public | BindingFlags.Static) is not null)
    .ToDictionary(t => t.Name[..^"Benchmark".Length].ToLowerInvariant(), t => t);

if (args.Length > 0 && args[0] == "engine-step")
{
    // Not a suite: the engine suite's child process for one training-step measurement.
    return ScaleLab.Benchmarks.EngineBenchmark.RunStep(args[1..]);
}
if (args.Length == 0 || !suites.TryGetValue(args[0], out var suite))
{
    Console.Error.WriteLine($"usage: ScaleLab.Benchmarks {string.Join('|', suites.Keys.Order())} [--json]");
    return 2;
}
try
{
    return (int)suite.GetMethod("Run")!.Invoke(null, [args[1..]])!;
}
catch (TargetInvocationException ex) when (ex.InnerException is ScaleLab.Benchmarks.PeerMissingException missing)
{
    Console.Error.WriteLine(ScaleLab.Benchmarks.PeerFailure.Line(missing));
    return 2;
}

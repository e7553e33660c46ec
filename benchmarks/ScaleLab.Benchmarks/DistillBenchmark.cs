using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using static ScaleLab.Benchmarks.BenchArgs;
using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;

namespace ScaleLab.Benchmarks;

/// <summary>
/// `distill`: the cost of a distilled training step against its parts, all ours, same process, same inputs, interleaved
/// round by round so a load change on a shared machine hits all three alike: a student training step (cross-entropy),
/// a teacher forward pass (inference model, no gradient) on the same batch, and a distilled step (student forward,
/// teacher forward, fused loss, student backward, optimizer). `distill_overhead` = median distilled step / (median
/// student step + median teacher forward); the issue's goal is ≤ 1 (the distilled step costs at most its parts; the
/// fused loss adds one pass over B·T·V logits). `oracle_overhead` is the distilled step with the synthetic source's
/// oracle as teacher over the plain student step. Weights are freshly initialised: a step's time does not depend on
/// their values. There is no peer here: no other tool distils these models side by side in this process.
/// Usage: distill [--student LxCxH] [--teacher LxCxH] [--seq T] [--batch B] [--rounds R] [--threads N] [--cpu-time] [--json];
/// --cpu-time times by the calling thread's CPU time (one thread only), for a machine busy with other work.
/// </summary>
public static class DistillBenchmark
{
    public static int Run(string[] args)
    {
        var json = args.Contains("--json");
        var student = Shape(Arg(args, "--student") ?? "2x64x4", Arg(args, "--seq"));
        var teacherShape = Shape(Arg(args, "--teacher") ?? "4x128x4", Arg(args, "--seq"));
        var batch = int.Parse(Arg(args, "--batch") ?? "16", CultureInfo.InvariantCulture);
        var rounds = int.Parse(Arg(args, "--rounds") ?? "30", CultureInfo.InvariantCulture);
        var threads = int.Parse(Arg(args, "--threads") ?? "1", CultureInfo.InvariantCulture);
        var cpuTime = args.Contains("--cpu-time");
        if (cpuTime && (threads != 1 || ScaleLab.Engine.Sampling.ThreadCpuClock.Now() is null))
        {
            Console.Error.WriteLine("--cpu-time times the calling thread's CPU time: it needs --threads 1 and Linux");
            return 2;
        }
        var corpus = SyntheticCorpus.Default;
        TrainOptions Options(GptConfig model) => new()
        {
            Model = model, Batch = batch, Steps = 1_000_000, LearningRate = 1e-3, EvalInterval = 0, EvalSequences = batch, Threads = threads,
        };

        // The teacher: an initialised model as a checkpoint, loaded for inference the way a distilled run loads it.
        Checkpoint teacherCheckpoint;
        using (var t = new Trainer(Options(teacherShape), corpus)) teacherCheckpoint = t.ToCheckpoint();
        using var plain = new Trainer(Options(student), corpus);
        using var distilledObjective = new DistillationObjective(new GptTeacher(teacherCheckpoint, batch, threads), new DistillationOptions(2.0, 0.5));
        using var distilled = new Trainer(Options(student), corpus) { Objective = distilledObjective };
        using var oracleObjective = new DistillationObjective(new OracleTeacher(corpus), new DistillationOptions(2.0, 0.5));
        using var oracle = new Trainer(Options(student), corpus) { Objective = oracleObjective };
        using var teacher = Gpt.FromCheckpoint(teacherCheckpoint, batch, threads: threads);
        var inputs = new int[batch * student.SeqLen];
        var targets = new int[inputs.Length];
        corpus.GetValidation(0, inputs, targets, batch, student.SeqLen);

        var (studentTimes, teacherTimes, distilledTimes, oracleTimes) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        var clock = new Stopwatch();
        double Time(Action action)
        {
            if (cpuTime)
            {
                var start = ScaleLab.Engine.Sampling.ThreadCpuClock.Now()!.Value;
                action();
                return (ScaleLab.Engine.Sampling.ThreadCpuClock.Now()!.Value - start) * 1e3;
            }
            clock.Restart();
            action();
            return clock.Elapsed.TotalMilliseconds;
        }
        for (var round = -3; round < rounds; round++)
        {
            var s = Time(() => plain.TrainStep());
            var f = Time(() => teacher.Forward(inputs, [], batch, student.SeqLen));
            var d = Time(() => distilled.TrainStep());
            var o = Time(() => oracle.TrainStep());
            if (round < 0) continue; // warm-up rounds: JIT and first touches of the buffers
            studentTimes.Add(s);
            teacherTimes.Add(f);
            distilledTimes.Add(d);
            oracleTimes.Add(o);
        }
        double studentMs = Median(studentTimes), teacherMs = Median(teacherTimes), distilledMs = Median(distilledTimes), oracleMs = Median(oracleTimes);
        var overhead = distilledMs / (studentMs + teacherMs);
        var result = new Dictionary<string, object?>
        {
            ["machine"] = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
            ["load_average_1min"] = LoadAverage(),
            ["threads"] = threads,
            ["clock"] = cpuTime ? "thread_cpu" : "wall",
            ["student"] = Checkpoint.Describe(student),
            ["teacher"] = Checkpoint.Describe(teacherShape),
            ["batch"] = batch,
            ["rounds"] = rounds,
            ["student_step_ms"] = studentMs,
            ["teacher_forward_ms"] = teacherMs,
            ["distilled_step_ms"] = distilledMs,
            ["oracle_distilled_step_ms"] = oracleMs,
            ["distill_overhead"] = overhead,
            ["distill_overhead_range"] = Range(distilledTimes, studentTimes, teacherTimes),
            ["oracle_overhead"] = oracleMs / studentMs,
            ["goal_distill_overhead_at_most_1"] = overhead <= 1,
        };
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        }
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"student {result["student"]}, teacher {result["teacher"]}, B = {batch}, {threads} thread(s), median of {rounds} interleaved rounds, {(cpuTime ? "thread CPU time" : "wall clock")}; load average {LoadAverage()?.ToString("F2", inv) ?? "n/a"} on {Environment.ProcessorCount} cores");
        Console.WriteLine(string.Create(inv, $"student step {studentMs:F2} ms, teacher forward {teacherMs:F2} ms, distilled step {distilledMs:F2} ms, oracle-distilled step {oracleMs:F2} ms"));
        Console.WriteLine(string.Create(inv, $"distill_overhead {overhead:F3} (quartile range {((double[])result["distill_overhead_range"]!)[0]:F3}-{((double[])result["distill_overhead_range"]!)[1]:F3}), oracle_overhead {oracleMs / studentMs:F3}"));
        Console.WriteLine($"goal: distilled step ≤ student step + teacher forward: {(overhead <= 1 ? "met" : "NOT met")}");
        return 0;
    }

    /// <summary>The overhead at the lower and upper quartiles of the per-round ratios (rounds are interleaved, so a
    /// round's three times share the machine's load).</summary>
    private static double[] Range(List<double> distilled, List<double> student, List<double> teacher)
    {
        var ratios = distilled.Select((d, i) => d / (student[i] + teacher[i])).Order().ToList();
        return [ratios[ratios.Count / 4], ratios[3 * ratios.Count / 4]];
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static GptConfig Shape(string text, string? seq)
    {
        var parts = text.Split('x').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return new GptConfig(parts[0], parts[1], parts[2], int.Parse(seq ?? "64", CultureInfo.InvariantCulture));
    }
}

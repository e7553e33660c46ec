using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Tests.Parallelism;

public sealed unsafe class WorkerPoolTests
{
    private struct Job
    {
        public int* Counts;
        public int Items, Chunk, Next, WorkerParts;
    }

    private static void ClaimBody(void* context, int part, int parts)
    {
        var job = (Job*)context;
        if (part != 0) Interlocked.Increment(ref job->WorkerParts);
        while (WorkerPool.TryClaim(ref job->Next, job->Items, job->Chunk, out var start, out var end))
        {
            for (var i = start; i < end; i++) Interlocked.Increment(ref job->Counts[i]);
        }
    }

    private static void PartBody(void* context, int part, int parts)
    {
        var job = (Job*)context;
        var (start, end) = WorkerPool.Partition(job->Items, part, parts);
        for (var i = start; i < end; i++) Interlocked.Increment(ref job->Counts[i]);
    }

    [Fact]
    public void RunClaimed_ManyShortJobs_EveryItemOnceAndUntakenJobsWithdrawn()
    {
        // Given: jobs of 64 items in chunks of 8, so short that the calling thread often claims every chunk before the
        // worker wakes up to the job.
        const int jobs = 20_000, items = 64;
        using var pool = new WorkerPool(2);
        var counts = new int[items];
        var workerParts = 0;

        // When
        fixed (int* c = counts)
        {
            for (var j = 0; j < jobs; j++)
            {
                var job = new Job { Counts = c, Items = items, Chunk = 8 };
                WorkerPool.RunClaimed(pool, &ClaimBody, &job);
                workerParts += job.WorkerParts;
                // Then, job by job: every item exactly once, whoever took it (a withdrawn worker touched nothing).
                for (var i = 0; i < items; i++)
                {
                    Assert.Equal(j + 1, counts[i]);
                }
            }
        }

        // and some jobs were withdrawn before the worker took them (the calling thread did the whole job), which a
        // pool that waited for every worker never does.
        Assert.InRange(workerParts, 0, jobs - 1);
    }

    [Fact]
    public void Run_AfterWithdrawnJobs_StillRunsEveryFixedPart()
    {
        // Given: a pool whose worker has had jobs withdrawn (a fixed-share kernel must still get every part).
        using var pool = new WorkerPool(3);
        var counts = new int[99];
        fixed (int* c = counts)
        {
            for (var j = 0; j < 2_000; j++)
            {
                var claimed = new Job { Counts = c, Items = 99, Chunk = 99 };
                WorkerPool.RunClaimed(pool, &ClaimBody, &claimed);

                // When
                var fixedParts = new Job { Counts = c, Items = 99 };
                WorkerPool.Run(pool, &PartBody, &fixedParts);
            }
        }

        // Then: each item once per claimed job and once per fixed-part job.
        Assert.All(counts, n => Assert.Equal(4_000, n));
    }
}

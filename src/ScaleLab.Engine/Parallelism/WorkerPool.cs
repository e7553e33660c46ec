namespace ScaleLab.Engine.Parallelism;

/// <summary>
/// A small persistent pool that runs one kernel as <see cref="Threads"/> parts: the calling thread runs part 0
/// and each worker runs one further part. Work is split by a fixed rule (<see cref="Partition"/>), never by
/// work stealing, so which thread computes which output — and hence every floating-point reduction order —
/// depends only on the thread count. That is what makes a run bit-reproducible for a given thread count.
/// </summary>
/// <remarks>
/// Kernels here are tiny (tens of microseconds for a model with d_model = 128), so dispatch latency matters
/// more than throughput: a worker spins for a short while after each job before it blocks on a semaphore,
/// and a job is a function pointer plus a pointer to the caller's argument struct, so a dispatch allocates nothing.
/// The caller's arguments live on its stack; that is safe because <see cref="Run"/> returns only after every part ends.
/// </remarks>
public sealed unsafe class WorkerPool : IDisposable
{
    // About 20-50 microseconds of spinning before a worker sleeps: long enough to bridge the gap between two
    // kernels of one training step, short enough not to burn a shared core between steps.
    private const int SpinIterations = 2000;

    private readonly Thread[] _workers;
    private readonly SemaphoreSlim[] _wake;
    private readonly int[] _sleeping;
    private readonly int[] _posted;   // per worker: 1 while the current job is posted and not yet taken (or withdrawn)
    private delegate*<void*, int, int, void> _body;
    private void* _context;
    private int _generation;
    private int _pending;
    private volatile bool _disposed;
    private ExceptionHolder? _failure;

    public WorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        _workers = new Thread[threads - 1];
        _wake = new SemaphoreSlim[threads - 1];
        _sleeping = new int[threads - 1];
        _posted = new int[threads - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            _wake[i] = new SemaphoreSlim(0);
            var part = i + 1;
            _workers[i] = new Thread(() => WorkerLoop(part)) { IsBackground = true, Name = $"ScaleLab worker {part}" };
            _workers[i].Start();
        }
    }

    /// <summary>Number of parts each <see cref="Run"/> splits into (the calling thread plus the workers).</summary>
    public int Threads { get; }

    /// <summary>The half-open range [start, end) of part <paramref name="part"/> when <paramref name="count"/> items
    /// are split into <paramref name="parts"/> near-equal contiguous pieces in units of <paramref name="unit"/> items.</summary>
    public static (int Start, int End) Partition(int count, int part, int parts, int unit = 1)
    {
        var units = (count + unit - 1) / unit;
        var start = (int)((long)units * part / parts) * unit;
        var end = (int)((long)units * (part + 1) / parts) * unit;
        return (Math.Min(start, count), Math.Min(end, count));
    }

    /// <summary>Claims the next chunk of <paramref name="chunk"/> items of [0, <paramref name="count"/>) from
    /// <paramref name="next"/>, a counter shared by the threads of one <see cref="Run"/> (zero before it): the
    /// alternative to fixed <see cref="Partition"/> shares for kernels whose items do not depend on who computes
    /// them. False when nothing is left.</summary>
    public static bool TryClaim(ref int next, int count, int chunk, out int start, out int end)
    {
        var index = Interlocked.Increment(ref next) - 1;
        start = (int)Math.Min((long)index * chunk, count);
        end = (int)Math.Min((long)start + chunk, count);
        return start < end;
    }

    /// <summary>Runs <c>body(context, part, parts)</c> for every part; with no pool, runs the single part inline.</summary>
    public static void Run(WorkerPool? pool, delegate*<void*, int, int, void> body, void* context)
    {
        if (pool is null || pool.Threads == 1)
        {
            body(context, 0, 1);
            return;
        }
        pool.RunParts(body, context, withdraw: false);
    }

    /// <summary>As <see cref="Run"/>, for a body whose parts take their work with <see cref="TryClaim"/> (so one part can
    /// do all of it): when the calling thread's part returns, the job is withdrawn from every worker that has not yet
    /// taken it, and the call returns without waiting for them. On a machine busy with other work a worker may not be
    /// scheduled for milliseconds; a short kernel (a decode step's matrix-vector product, tens of microseconds) then
    /// costs what one thread takes, not a time slice of the other process. Which thread computes which chunk changes;
    /// what a chunk computes does not.</summary>
    public static void RunClaimed(WorkerPool? pool, delegate*<void*, int, int, void> body, void* context)
    {
        if (pool is null || pool.Threads == 1)
        {
            body(context, 0, 1);
            return;
        }
        pool.RunParts(body, context, withdraw: true);
    }

    private void RunParts(delegate*<void*, int, int, void> body, void* context, bool withdraw)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _body = body;
        _context = context;
        _failure = null;
        Volatile.Write(ref _pending, _workers.Length);
        for (var i = 0; i < _workers.Length; i++)
        {
            Volatile.Write(ref _posted[i], 1);
        }
        // Full fence: publishes the job before any worker can observe the new generation, and orders the
        // generation write before reading _sleeping (paired with the worker's Exchange then re-check).
        Interlocked.Increment(ref _generation);
        for (var i = 0; i < _workers.Length; i++)
        {
            if (Volatile.Read(ref _sleeping[i]) == 1)
            {
                _wake[i].Release();
            }
        }

        try
        {
            body(context, 0, Threads);
        }
        finally
        {
            for (var i = 0; withdraw && i < _workers.Length; i++)
            {
                // A worker that has not taken the job never will (it takes it by the same exchange), so it is not waited for.
                if (Interlocked.CompareExchange(ref _posted[i], 0, 1) == 1) Interlocked.Decrement(ref _pending);
            }
            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) != 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }
        if (_failure is { } failure)
        {
            throw new InvalidOperationException("a worker thread failed while running a kernel", failure.Exception);
        }
    }

    private void WorkerLoop(int part)
    {
        var seen = 0;
        var index = part - 1;
        while (true)
        {
            var spins = 0;
            while (Volatile.Read(ref _generation) == seen && !_disposed)
            {
                if (spins++ < SpinIterations)
                {
                    Thread.SpinWait(10);
                    continue;
                }
                Interlocked.Exchange(ref _sleeping[index], 1);
                if (Volatile.Read(ref _generation) == seen && !_disposed)
                {
                    _wake[index].Wait();
                }
                Interlocked.Exchange(ref _sleeping[index], 0);
                spins = 0;
            }
            if (_disposed)
            {
                return;
            }
            seen = Volatile.Read(ref _generation);
            if (Interlocked.CompareExchange(ref _posted[index], 0, 1) != 1)
            {
                continue; // withdrawn by RunClaimed: the other threads did the work
            }
            try
            {
                _body(_context, part, Threads);
            }
            catch (Exception e)
            {
                _failure = new ExceptionHolder(e);
            }
            Interlocked.Decrement(ref _pending);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        for (var i = 0; i < _workers.Length; i++)
        {
            _wake[i].Release();
        }
        foreach (var worker in _workers)
        {
            worker.Join();
        }
        foreach (var wake in _wake)
        {
            wake.Dispose();
        }
    }

    private sealed record ExceptionHolder(Exception Exception);
}

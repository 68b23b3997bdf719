using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MLNetCnn.Zoo;

namespace MLNetCnn.Search;

/// <summary>A trial as drawn: its configuration and what it costs, written once when it starts (<c>trials/NNNN/trial.json</c>).</summary>
internal sealed record TrialRecord(int Number, string OptionsJson, string Architecture, string Candidate, int ImageSize, long Parameters, long Macs);

/// <summary>
/// One unit of work (<c>jobs/NNNNNN.json</c>): train trial <see cref="Trial"/> from the checkpoint of rung <see cref="FromRung"/> (-1: from the
/// start), <see cref="FromEpochs"/> epochs in, to <see cref="ToEpochs"/>, writing the checkpoint of rung <see cref="Rung"/>.
/// </summary>
internal sealed record SearchJob(int Index, int Trial, int Rung, int FromRung, int FromEpochs, int ToEpochs, string Worker);

/// <summary>How a job ended (<c>results/NNNNNN.json</c>); a job without one is running, or was left by a worker that died.</summary>
internal sealed record JobResult(
    int Index, int Trial, int Rung, JobOutcome Outcome, string? Reason, double EpochsTrained, double? Accuracy, double? MacroAccuracy, double? LogLoss,
    double Seconds, double? LatencyMs, long Parameters, List<CnnEpochMetrics> History)
{
    /// <summary>The score a strategy ranks by (higher is better); null when nothing was validated.</summary>
    public double? Score(CnnSelectionMetric metric) => metric switch
    {
        CnnSelectionMetric.MacroAccuracy => MacroAccuracy,
        CnnSelectionMetric.LogLoss => -LogLoss,
        _ => Accuracy,
    };
}

/// <summary>What ended a job.</summary>
internal enum JobOutcome
{
    /// <summary>It trained to its rung's epochs.</summary>
    Reached,

    /// <summary>The search's budget ended it first.</summary>
    OutOfTime,

    /// <summary>Its measured latency is over the limit.</summary>
    TooSlow,

    /// <summary>Not trained: a limit ruled it out.</summary>
    Rejected,

    /// <summary>It threw.</summary>
    Failed,
}

/// <summary>
/// A search's folder: the record every worker shares. Decisions are taken under an exclusive lock on <c>lock</c>; each trial,
/// job and result is a small JSON file written atomically, so a worker killed at any point leaves a consistent folder, and a
/// job it left unfinished is run again from the checkpoint of the rung before. Workers on other machines share it through a
/// network file system; a worker is alive while its session file (<c>sessions/ID.json</c>) is touched.
/// </summary>
internal sealed class SearchFolder
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    // A worker on another machine whose session file is older than this is taken for dead.
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public SearchFolder(string root)
    {
        Root = Path.GetFullPath(root);
        Worker = string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}");
    }

    public string Root { get; }

    /// <summary>This process's worker name: host, process id and a nonce.</summary>
    public string Worker { get; }

    public string TrialFolder(int trial) => Path.Combine(Root, "trials", trial.ToString("D4", CultureInfo.InvariantCulture));

    public string Checkpoint(int trial, int rung) => Path.Combine(TrialFolder(trial), $"rung{rung}.ckpt");

    public string Classifier(int trial) => Path.Combine(TrialFolder(trial), "classifier.mlnetcnn");

    /// <summary>
    /// Creates the folder for a search described by <paramref name="description"/>, or joins the one there if it describes the same
    /// search (same space, strategy, seed, limits and data).
    /// </summary>
    /// <exception cref="ArgumentException">The folder holds another search, or files that are not a search's.</exception>
    public void CreateOrJoin(string description)
    {
        Directory.CreateDirectory(Root);
        using var _ = Lock();
        var path = Path.Combine(Root, "search.json");
        if (!File.Exists(path))
        {
            if (Directory.EnumerateFileSystemEntries(Root).Any(e => Path.GetFileName(e) != "lock"))
                throw new ArgumentException($"The search folder '{Root}' holds files but no search.json: give an empty or new folder, or the folder of a search to continue.");
            AtomicFile.Write(path, System.Text.Encoding.UTF8.GetBytes(description));
        }
        else if (File.ReadAllText(path) != description)
            throw new ArgumentException(
                $"The search folder '{Root}' holds another search (its search.json differs in space, strategy, seed, limits or data): " +
                "continue it with the same settings and data, or give another folder.");
        foreach (var sub in new[] { "trials", "jobs", "results", "sessions" })
            Directory.CreateDirectory(Path.Combine(Root, sub));
    }

    /// <summary>Holds the folder's lock until disposed; waits while another worker holds it.</summary>
    public IDisposable Lock()
    {
        var path = Path.Combine(Root, "lock");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // FileShare.None takes an exclusive flock on Unix and a sharing lock on Windows: one worker at a time.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 6000)
            {
                Thread.Sleep(10);
            }
        }
    }

    public List<TrialRecord> Trials() => ReadAll<TrialRecord>(Path.Combine(Root, "trials"), "trial.json", recursive: true).OrderBy(t => t.Number).ToList();

    public List<SearchJob> Jobs() => ReadAll<SearchJob>(Path.Combine(Root, "jobs"), "*.json", recursive: false).OrderBy(j => j.Index).ToList();

    public List<JobResult> Results() => ReadAll<JobResult>(Path.Combine(Root, "results"), "*.json", recursive: false).OrderBy(r => r.Index).ToList();

    public void Write(TrialRecord trial)
    {
        Directory.CreateDirectory(TrialFolder(trial.Number));
        WriteJson(Path.Combine(TrialFolder(trial.Number), "trial.json"), trial);
    }

    public void Write(SearchJob job) => WriteJson(Path.Combine(Root, "jobs", JobName(job.Index)), job);

    public void Write(JobResult result) => WriteJson(Path.Combine(Root, "results", JobName(result.Index)), result);

    /// <summary>Whether the worker that claimed a job is gone: a process of this machine that no longer runs, or a session file left untouched.</summary>
    public bool IsAbandoned(SearchJob job)
    {
        if (job.Worker == Worker)
            return false;
        var parts = job.Worker.Split(':');
        if (parts.Length == 3 && parts[0] == Environment.MachineName && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var pid))
        {
            if (pid == Environment.ProcessId)
                return !Running.ContainsKey(job.Worker);   // a run of this process that was cancelled, or one still going on another thread

            try
            {
                using var process = Process.GetProcessById(pid);
                return process.HasExited;
            }
            catch (ArgumentException)
            {
                return true;
            }
        }
        var session = SessionPath(job.Worker);
        return !File.Exists(session) || DateTime.UtcNow - File.GetLastWriteTimeUtc(session) > 4 * Heartbeat;
    }

    /// <summary>
    /// Records this worker's session from <paramref name="started"/> to now (touched every few seconds by <see cref="StartHeartbeat"/>), and
    /// returns the time the search has already run in other sessions: the union of their spans, so workers that ran side by side count once.
    /// </summary>
    public TimeSpan TimeSpentBefore(DateTime started)
    {
        var spans = ReadAll<SessionSpan>(Path.Combine(Root, "sessions"), "*.json", recursive: false)
            .Where(s => s.Worker != Worker).Select(s => (s.Start, End: s.Last)).OrderBy(s => s.Start).ToList();
        var total = TimeSpan.Zero;
        DateTime? start = null, end = null;
        foreach (var span in spans)
        {
            var last = span.End > started ? started : span.End;   // a worker running now counts only up to our start: our own clock counts on from there
            if (start is null || span.Start > end)
            {
                if (start is not null)
                    total += end!.Value - start.Value;
                (start, end) = (span.Start, last);
            }
            else if (last > end)
                end = last;
        }
        if (start is not null && end > start)
            total += end.Value - start.Value;
        return total;
    }

    // The workers of this process that are running now, so a job left by an earlier, cancelled run in this process is taken up again.
    private static readonly ConcurrentDictionary<string, bool> Running = new();

    /// <summary>Touches this worker's session file now and every few seconds until disposed.</summary>
    public IDisposable StartHeartbeat(DateTime started)
    {
        void Touch() => WriteJson(SessionPath(Worker), new SessionSpan(Worker, started, DateTime.UtcNow));
        Running[Worker] = true;
        Touch();
        var timer = new Timer(_ =>
        {
            try
            {
                Touch();
            }
            catch (IOException)
            {
                // A missed beat is retried at the next one; only a worker silent for four beats is taken for dead.
            }
        }, null, Heartbeat, Heartbeat);
        return new Beat(timer, () =>
        {
            Running.TryRemove(Worker, out var _);
            try
            {
                Touch();
            }
            catch (IOException)
            {
                // The folder was published (moved) as the search ended: there is no session left to record.
            }
        });
    }

    private sealed class Beat(Timer timer, Action end) : IDisposable
    {
        public void Dispose()
        {
            timer.Dispose();
            end();
        }
    }

    private sealed record SessionSpan(string Worker, DateTime Start, DateTime Last);

    private string SessionPath(string worker) => Path.Combine(Root, "sessions", string.Concat(worker.Split(Path.GetInvalidFileNameChars().Append(':').ToArray())) + ".json");

    private static string JobName(int index) => index.ToString("D6", CultureInfo.InvariantCulture) + ".json";

    private static void WriteJson<T>(string path, T value) => AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(value, Json));

    private static IEnumerable<T> ReadAll<T>(string folder, string pattern, bool recursive)
    {
        if (!Directory.Exists(folder))
            yield break;
        foreach (var file in Directory.EnumerateFiles(folder, pattern, recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly))
        {
            if (file.EndsWith(".tmp", StringComparison.Ordinal))
                continue;
            T? value;
            try
            {
                value = JsonSerializer.Deserialize<T>(File.ReadAllBytes(file), Json);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"The search folder's file '{file}' is not what a search writes: {e.Message}", e);
            }
            yield return value ?? throw new InvalidDataException($"The search folder's file '{file}' is empty.");
        }
    }
}

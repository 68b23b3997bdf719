using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp.Modules;
using MLNetCnn.Zoo;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MLNetCnn.Training;

/// <summary>
/// Everything needed to continue a run exactly where it stopped: weights, optimiser state, both random
/// generators, the schedule and early-stopping state, the best weights so far and the history. Written as
/// one zip, atomically (to a temporary file, then renamed), so an interrupted write never replaces a good one.
/// </summary>
internal sealed class TrainingCheckpoint
{
    private const string StateEntry = "state.json";

    // The best score starts at -infinity before any validation.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>
    /// The JSON part: counters and history. <c>BestValidationAccuracy</c> holds the best score of the run's <see cref="CnnValidationOptions.SelectionMetric"/>
    /// (log-loss negated); the name predates that choice and stays, so earlier checkpoints resume.
    /// </summary>
    public sealed record State(
        string Architecture, int NumClasses, int InChannels, int EpochsDone, double PlateauScale, double PlateauBest, int PlateauWait,
        double BestValidationAccuracy, int EpochsSinceBest, int BestEpoch, List<CnnEpochMetrics> History, long EmaUpdates = 0,
        string? ArchitectureArguments = null, string? TrainerOptions = null);

    public static void Write(string path, State state, nn.Module model, OptimizerHelper optimizer, Generator generator,
        IReadOnlyDictionary<string, Tensor>? bestWeights, IReadOnlyDictionary<string, Tensor>? averageWeights = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create);
            Write(zip, "model.bin", s => model.save(s));
            Write(zip, "optimizer.bin", s => { using var w = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true); optimizer.save_state_dict(w); });
            Write(zip, "generator.bin", s => WriteBytes(s, generator.get_state()));
            Write(zip, "default_generator.bin", s => WriteBytes(s, Generator.Default.get_state()));
            if (bestWeights is not null)
                Write(zip, "best.safetensors", s => Safetensors.SaveStateDict(s, bestWeights.ToDictionary(), leaveOpen: true));
            if (averageWeights is not null)
                Write(zip, AverageEntry, s => Safetensors.SaveStateDict(s, averageWeights.ToDictionary(), leaveOpen: true));
            Write(zip, StateEntry, s => JsonSerializer.Serialize(s, state, Json));
        });
    }

    /// <summary>Reads the checkpoint once: its counters, and its entries for <see cref="Restore"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a usable checkpoint.</exception>
    public static TrainingCheckpoint Read(string path)
    {
        using var zip = Open(path);
        // Entries are copied to memory: TorchSharp's readers need seekable streams, and the file is read only here.
        var entries = new Dictionary<string, byte[]>();
        try
        {
            // Every entry is written stored, so none can inflate beyond the file; one that is compressed or unknown is no checkpoint's.
            foreach (var record in ZipLayout.Read(path, "an MLNetCnn training checkpoint").Values)
            {
                if (!KnownEntries.Contains(record.Name))
                    throw Corrupt(path, $"it holds an entry '{record.Name}' that a training checkpoint does not have");
                if (record.Method != 0)
                    throw Corrupt(path, $"entry '{record.Name}' is compressed; MLNetCnn stores every entry as is");
            }
            foreach (var entry in zip.Entries)
                entries[entry.FullName] = ZipIntegrity.ReadVerified(entry, path, long.MaxValue);
        }
        catch (InvalidDataException e)
        {
            throw Corrupt(path, e.Message);
        }
        var checkpoint = new TrainingCheckpoint(path, entries);
        var state = checkpoint.ReadEntry(StateEntry, s => JsonSerializer.Deserialize<State>(s, Json)) ?? throw Corrupt(path, "empty state");
        if (string.IsNullOrWhiteSpace(state.Architecture) || state.NumClasses < 2 || state.InChannels < 1 || state.EpochsDone < 0
            || state.History is null || state.History.Count != state.EpochsDone || state.BestEpoch < 0 || state.BestEpoch > state.EpochsDone)
            throw Corrupt(path, $"its state is inconsistent ({state.Architecture}, {state.NumClasses} classes, {state.InChannels} channels, " +
                                $"{state.EpochsDone} epochs done with {state.History?.Count.ToString() ?? "no"} in the history, best epoch {state.BestEpoch})");
        checkpoint.Counters = state;
        return checkpoint;
    }

    private readonly string path;
    private readonly Dictionary<string, byte[]> entries;

    private TrainingCheckpoint(string path, Dictionary<string, byte[]> entries)
    {
        this.path = path;
        this.entries = entries;
    }

    /// <summary>The counters and history.</summary>
    public State Counters { get; private set; } = null!;

    /// <summary>Restores weights, optimiser, generators; returns the best weights when the checkpoint has them.</summary>
    public Dictionary<string, Tensor>? Restore(nn.Module model, OptimizerHelper optimizer, Generator generator)
    {
        ReadEntry("model.bin", s => { WeightFile.LoadTorchSharpInto(model, "the model", s, $"{path}!model.bin"); return 0; });
        ReadEntry("optimizer.bin", s => { using var r = new BinaryReader(s); optimizer.load_state_dict(r); return 0; });
        ReadEntry("generator.bin", s => { generator.set_state(ReadBytes(s)); return 0; });
        ReadEntry("default_generator.bin", s => { Generator.Default.set_state(ReadBytes(s)); return 0; });
        return entries.ContainsKey("best.safetensors")
            ? ReadEntry("best.safetensors", s =>
            {
                SafetensorsHeader.Validate(s, $"{path}!best.safetensors");
                s.Position = 0;
                return Safetensors.LoadStateDict(s);
            })
            : null;
    }

    /// <summary>The moving average of the weights, when the run keeps one and the checkpoint has it.</summary>
    public Dictionary<string, Tensor>? AverageWeights() => entries.ContainsKey(AverageEntry)
        ? ReadEntry(AverageEntry, s =>
        {
            SafetensorsHeader.Validate(s, $"{path}!{AverageEntry}");
            s.Position = 0;
            return Safetensors.LoadStateDict(s);
        })
        : null;

    private const string AverageEntry = "ema.safetensors";
    private static readonly string[] KnownEntries =
        ["model.bin", "optimizer.bin", "generator.bin", "default_generator.bin", "best.safetensors", AverageEntry, StateEntry];

    private static ZipArchive Open(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        try { return ZipFile.OpenRead(path); }
        catch (InvalidDataException e) { throw Corrupt(path, e.Message); }
    }

    private static void Write(ZipArchive zip, string name, Action<Stream> write)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        write(stream);
    }

    private T ReadEntry<T>(string name, Func<Stream, T> read)
    {
        if (!entries.TryGetValue(name, out var bytes))
            throw Corrupt(path, $"it has no '{name}'");
        try { return read(new MemoryStream(bytes, writable: false)); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException or JsonException
                                   or InvalidDataException)
        {
            throw Corrupt(path, $"'{name}' could not be read ({e.Message})");
        }
    }

    private static void WriteBytes(Stream stream, Tensor state)
    {
        using (state)
            stream.Write(state.data<byte>().ToArray());
    }

    private static Tensor ReadBytes(Stream stream)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return tensor(buffer.ToArray(), dtype: ScalarType.Byte);
    }

    private static InvalidDataException Corrupt(string path, string reason)
        => new($"'{path}' is not a usable MLNetCnn training checkpoint: {reason}. Delete it or point Checkpoint.ResumeFrom elsewhere.");
}

using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp.Modules;
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

    // Best accuracy starts at -infinity before any validation.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The JSON part: counters and history.</summary>
    public sealed record State(
        string Architecture, int NumClasses, int InChannels, int EpochsDone, double PlateauScale, double PlateauBest, int PlateauWait,
        double BestValidationAccuracy, int EpochsSinceBest, int BestEpoch, List<CnnEpochMetrics> History);

    public static void Write(string path, State state, nn.Module model, OptimizerHelper optimizer, Generator generator,
        IReadOnlyDictionary<string, Tensor>? bestWeights)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var zip = ZipFile.Open(temporary, ZipArchiveMode.Create))
            {
                Write(zip, "model.bin", s => model.save(s));
                Write(zip, "optimizer.bin", s => { using var w = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true); optimizer.save_state_dict(w); });
                Write(zip, "generator.bin", s => WriteBytes(s, generator.get_state()));
                Write(zip, "default_generator.bin", s => WriteBytes(s, Generator.Default.get_state()));
                if (bestWeights is not null)
                    Write(zip, "best.safetensors", s => Safetensors.SaveStateDict(s, bestWeights.ToDictionary(), leaveOpen: true));
                Write(zip, StateEntry, s => JsonSerializer.Serialize(s, state, Json));
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Reads the counters only (to build the model before restoring it).</summary>
    public static State ReadState(string path)
    {
        using var zip = Open(path);
        using var stream = Entry(zip, path, StateEntry).Open();
        return JsonSerializer.Deserialize<State>(stream, Json) ?? throw Corrupt(path, "empty state");
    }

    /// <summary>Restores weights, optimiser, generators; returns the best weights when the checkpoint has them.</summary>
    public static Dictionary<string, Tensor>? Restore(string path, nn.Module model, OptimizerHelper optimizer, Generator generator)
    {
        using var zip = Open(path);
        Read(zip, path, "model.bin", s => model.load(s));
        Read(zip, path, "optimizer.bin", s => { using var r = new BinaryReader(s); optimizer.load_state_dict(r); });
        Read(zip, path, "generator.bin", s => generator.set_state(ReadBytes(s)));
        Read(zip, path, "default_generator.bin", s => Generator.Default.set_state(ReadBytes(s)));
        if (zip.GetEntry("best.safetensors") is null)
            return null;
        Dictionary<string, Tensor>? best = null;
        Read(zip, path, "best.safetensors", s => best = Safetensors.LoadStateDict(s));
        return best;
    }

    private static ZipArchive Open(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        try { return ZipFile.OpenRead(path); }
        catch (InvalidDataException e) { throw Corrupt(path, e.Message); }
    }

    private static ZipArchiveEntry Entry(ZipArchive zip, string path, string name)
        => zip.GetEntry(name) ?? throw Corrupt(path, $"it has no '{name}'");

    private static void Write(ZipArchive zip, string name, Action<Stream> write)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        write(stream);
    }

    // Entries are copied to memory first: TorchSharp's readers need a seekable stream.
    private static void Read(ZipArchive zip, string path, string name, Action<Stream> read)
    {
        using var buffer = new MemoryStream();
        using (var stream = Entry(zip, path, name).Open())
            stream.CopyTo(buffer);
        buffer.Position = 0;
        try { read(buffer); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException or JsonException)
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
        => new($"'{path}' is not a usable MLNetCnn training checkpoint: {reason}. Delete it or point ResumeFromCheckpoint elsewhere.");
}

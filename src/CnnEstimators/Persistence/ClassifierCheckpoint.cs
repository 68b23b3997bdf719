using System.IO.Compression;
using System.Text.Json;
using MLNetCnn.Scoring;
using MLNetCnn.Zoo;
using TorchSharp;

namespace MLNetCnn.Persistence;

/// <summary>
/// MLNetCnn's own format for a trained classifier: the weights (TorchSharp's format) and a JSON record of the
/// architecture, preprocessing, column names and label values, in one zip written atomically. It reloads as
/// the TorchSharp transformer (batched, on the GPU when there is one) and its model can be trained further.
/// </summary>
internal static class ClassifierCheckpoint
{
    private const string WeightsEntry = "weights.bin";
    private const string ConfigEntry = "classifier.json";
    private const string QuantizedEntry = "quantized.onnx";
    private const int FormatVersion = 1;

    /// <summary>What a checkpoint holds: everything a classifier transformer is made of.</summary>
    public sealed record Contents(
        CnnModel Model, CnnPreprocessing Preprocessing, string ImageColumnName, ClassifierOutputs Outputs, int BatchSize,
        bool SkipUnreadableImages, IReadOnlyList<CnnEpochMetrics> History, TestTimeAugmentation? TestTime = null, byte[]? QuantizedGraph = null,
        CnnTrainingEnd? TrainingEnd = null, CnnTrainerOptions? TrainerOptions = null);

    private sealed record Config(
        int Version, string Architecture, int NumClasses, int InChannels, CnnInputKind InputKind, int Channels, int Height, int Width,
        int[]? VectorShape, float PixelScale, float[] Mean, float[] Std, string ImageColumnName, string ScoreColumnName,
        string PredictedLabelColumnName, string[] LabelValues, int BatchSize, bool SkipUnreadableImages, List<CnnEpochMetrics> History,
        bool TestTimeFlip = false, bool Quantized = false, int? TestTimeCropSize = null, string? ArchitectureArguments = null,
        CnnTrainingEnd? TrainingEnd = null, string? TrainerOptions = null, string? QuantizedDigest = null);

    // Entries beyond these sizes are no classifier's: refused before they are inflated.
    private const long MaxConfigBytes = 64L << 20, MaxGraphOverWeightsBytes = 16L << 20;

    /// <exception cref="NotSupportedException">The model could not be rebuilt when loading, or the label has no text values; the message says why.</exception>
    public static void Save(string path, Contents contents)
    {
        var (model, p, outputs) = (contents.Model, contents.Preprocessing, contents.Outputs);
        if (CnnZoo.RebuildProblem(model) is string problem)
            throw new NotSupportedException($"Cannot save a checkpoint that could not be loaded: {problem}.");
        var labels = outputs.TextLabelValues() ?? throw Messages.LabelValuesNotText("The checkpoint format", outputs.LabelValuesDescription);
        var config = new Config(FormatVersion, model.Architecture, model.NumClasses, model.InChannels,
            p.InputKind, p.Channels, p.Height, p.Width, p.VectorShape is var (c, h, w) ? [c, h, w] : null, p.PixelScale, p.Mean.ToArray(), p.Std.ToArray(),
            contents.ImageColumnName, outputs.ScoreName, outputs.PredictedLabelName, labels, contents.BatchSize, contents.SkipUnreadableImages,
            contents.History.ToList(), contents.TestTime?.Flip ?? false, contents.QuantizedGraph is not null, contents.TestTime?.CropSize,
            CnnZoo.ArgumentsToJson(model.Arguments), contents.TrainingEnd, contents.TrainerOptions?.ToJson());
        var weightStream = new MemoryStream();
        model.save(weightStream);   // closes the stream; its bytes stay readable
        var weightBytes = weightStream.ToArray();
        if (contents.QuantizedGraph is { } graphBytes)
            config = config with { QuantizedDigest = QuantizedDigest(weightBytes, graphBytes) };
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create);
            using (var weights = zip.CreateEntry(WeightsEntry, CompressionLevel.NoCompression).Open())
                weights.Write(weightBytes);
            using (var json = zip.CreateEntry(ConfigEntry).Open())
                JsonSerializer.Serialize(json, config);
            if (contents.QuantizedGraph is { } quantized)
            {
                using var graph = zip.CreateEntry(QuantizedEntry).Open();
                graph.Write(quantized);
            }
        });
    }

    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a classifier checkpoint, is corrupt, or names an architecture that is not registered.</exception>
    public static Contents Load(string path, string device)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Classifier file '{path}' does not exist.", path);
        Config config;
        CnnModel? model = null;
        byte[]? quantized = null;
        CnnTrainerOptions? trainerOptions = null;
        try
        {
            var records = ZipLayout.Read(path, "an MLNetCnn classifier file");
            if (records.Keys.FirstOrDefault(n => n is not (WeightsEntry or ConfigEntry or QuantizedEntry)) is string unknown)
                throw Corrupt(path, $"it holds an entry '{unknown}' that a classifier file does not have");
            if (records.TryGetValue(WeightsEntry, out var weightsRecord) && weightsRecord.Method != 0)
                throw Corrupt(path, $"'{WeightsEntry}' is compressed; MLNetCnn stores it as is");
            var maxGraphBytes = (weightsRecord?.Bytes ?? 0) + MaxGraphOverWeightsBytes;
            using var zip = ZipFile.OpenRead(path);
            config = JsonSerializer.Deserialize<Config>(ZipIntegrity.ReadVerified(Entry(zip, path, ConfigEntry), path, MaxConfigBytes)) ?? throw Corrupt(path, "empty configuration");
            if (config.Version != FormatVersion)
                throw Corrupt(path, $"format version {config.Version}; this MLNetCnn reads version {FormatVersion}");
            if (CheckpointConfigProblems(config) is { Count: > 0 } problems)
                throw Corrupt(path, "its configuration is inconsistent: " + string.Join("; ", problems));
            if (!CnnZoo.IsRegistered(config.Architecture))
                throw new InvalidDataException(
                    $"'{path}': architecture '{config.Architecture}' is not registered; register it with CnnZoo.Register before loading.");
            var weights = ZipIntegrity.ReadVerified(Entry(zip, path, WeightsEntry), path, long.MaxValue);   // stored: no larger than the file
            model = CnnZoo.Create(config.Architecture, config.NumClasses, config.InChannels,
                arguments: CnnZoo.ArgumentsFromJson(config.Architecture, config.ArchitectureArguments));
            if (model.FixedImageSize is int size ? config.Height != size || config.Width != size : Math.Min(config.Height, config.Width) < model.MinImageSize)
                throw Corrupt(path, $"input size {config.Height}x{config.Width} is one {config.Architecture} cannot take " +
                                    $"({(model.FixedImageSize is int s ? $"only {s}x{s}" : $"at least {model.MinImageSize}x{model.MinImageSize}")})");
            WeightFile.LoadTorchSharpInto(model, config.Architecture, new MemoryStream(weights, writable: false), $"{path}!{WeightsEntry}");
            if (config.Quantized)
            {
                quantized = ReadQuantizedGraph(zip, path, maxGraphBytes);
                if (config.QuantizedDigest != QuantizedDigest(weights, quantized))
                    throw Corrupt(path, $"'{QuantizedEntry}' was not made from these weights (its digest in '{ConfigEntry}' does not match); " +
                                        "a swapped or edited graph would score with other weights than the file's");
            }
            trainerOptions = config.TrainerOptions is string json ? CnnTrainerOptions.FromJson(json) : null;
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or EndOfStreamException or ArgumentException or NotSupportedException)
        {
            model?.Dispose();
            throw e is InvalidDataException { Message: var m } && m.Contains(path) ? e : Corrupt(path, e.Message);
        }

        var normalization = new PixelNormalization(config.Channels, config.Height, config.Width, config.PixelScale, config.Mean, config.Std);
        var preprocessing = new CnnPreprocessing(config.InputKind, normalization, config.VectorShape is [var c, var h, var w] ? (c, h, w) : null);
        var outputs = ClassifierOutputs.ForLabelValues(config.ScoreColumnName, config.PredictedLabelColumnName, config.LabelValues);
        model.to(DeviceSelection.Resolve(device));
        return new Contents(model, preprocessing, config.ImageColumnName, outputs, config.BatchSize, config.SkipUnreadableImages, config.History,
            new TestTimeAugmentation(config.TestTimeFlip, config.TestTimeCropSize), quantized, config.TrainingEnd, trainerOptions);
    }

    // The int8 graph, checked to be one: a file whose entry was swapped for a float or foreign graph is refused.
    private static byte[] ReadQuantizedGraph(ZipArchive zip, string path, long maxBytes)
    {
        var bytes = ZipIntegrity.ReadVerified(Entry(zip, path, QuantizedEntry), path, maxBytes);
        Onnx.ModelProto graph;
        try
        {
            graph = Onnx.ModelProto.Parser.ParseFrom(bytes);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw Corrupt(path, $"'{QuantizedEntry}' is not an ONNX model ({e.Message})");
        }
        OnnxExternalData.Refuse(graph, $"'{path}' (entry '{QuantizedEntry}')");
        return Quantization.QdqRewriter.IsQuantized(graph.Graph) ? bytes : throw Corrupt(path, $"'{QuantizedEntry}' holds no quantized graph");
    }

    // Ties the int8 graph to the weights it was quantized from: SHA-256 over both, hex. It catches a graph swapped or edited
    // after saving; it is no signature (whoever rewrites the file can rewrite the digest), as the README says.
    private static string QuantizedDigest(byte[] weights, byte[] graph)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(BitConverter.GetBytes((long)weights.Length));
        hash.AppendData(weights);
        hash.AppendData(graph);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    // Sizes beyond these are corrupt files, refused before anything is allocated for them.
    private const int MaxClasses = 100_000;
    private const int MaxSide = 16_384;
    private const int MaxBatch = 1 << 16;

    /// <summary>Every way the configuration contradicts itself or is implausible; the weights are checked against it when they load.</summary>
    private static List<string> CheckpointConfigProblems(Config c)
    {
        var problems = new List<string>();
        void Check(bool ok, string problem)
        {
            if (!ok)
                problems.Add(problem);
        }
        Check(!string.IsNullOrWhiteSpace(c.Architecture), "no architecture is named");
        Check(c.NumClasses is >= 2 and <= MaxClasses, $"class count {c.NumClasses} is not between 2 and {MaxClasses}");
        Check(c.LabelValues is not null && c.LabelValues.Length == c.NumClasses,
            $"{c.NumClasses} classes but {c.LabelValues?.Length.ToString() ?? "no"} label values");
        if (c.LabelValues is not null)
        {
            Check(c.LabelValues.All(v => !string.IsNullOrEmpty(v)), "a label value is empty or missing");
            Check(c.LabelValues.Distinct(StringComparer.Ordinal).Count() == c.LabelValues.Length, "label values repeat");
        }
        Check(Enum.IsDefined(c.InputKind), $"input kind {(int)c.InputKind} is unknown");
        Check(c.InChannels is 1 or 3 && c.Channels == c.InChannels, $"channels {c.Channels} and model channels {c.InChannels} must be equal, 1 or 3");
        Check(c.Height is >= 1 and <= MaxSide && c.Width is >= 1 and <= MaxSide, $"input size {c.Height}x{c.Width} is not between 1 and {MaxSide}");
        Check(c.BatchSize is >= 1 and <= MaxBatch, $"batch size {c.BatchSize} is not between 1 and {MaxBatch}");
        if (c.Mean is null || c.Std is null)
            problems.Add("mean or std is missing");
        else if (c.InChannels is 1 or 3)
            problems.AddRange(new PixelNormalization(c.InChannels, Math.Max(c.Height, 1), Math.Max(c.Width, 1), c.PixelScale, c.Mean, c.Std).Problems());
        Check(c.InputKind == CnnInputKind.Vector
                ? c.VectorShape is [1 or 3, >= 1 and <= MaxSide, >= 1 and <= MaxSide]
                : c.VectorShape is null,
            $"vector shape [{string.Join(", ", c.VectorShape ?? [])}] does not fit input kind {c.InputKind}");
        string?[] columns = [c.ImageColumnName, c.ScoreColumnName, c.PredictedLabelColumnName];
        Check(columns.All(n => !string.IsNullOrWhiteSpace(n)) && columns.Distinct(StringComparer.Ordinal).Count() == 3,
            $"column names '{c.ImageColumnName}', '{c.ScoreColumnName}', '{c.PredictedLabelColumnName}' must be non-empty and distinct");
        Check(c.History is not null, "the training history is missing");
        return problems;
    }

    private static ZipArchiveEntry Entry(ZipArchive zip, string path, string name)
        => zip.GetEntry(name) ?? throw Corrupt(path, $"it has no '{name}'");

    private static InvalidDataException Corrupt(string path, string reason)
        => new($"'{path}' is not an MLNetCnn classifier file: {reason}. Save one with transformer.SaveCheckpoint(path).");
}

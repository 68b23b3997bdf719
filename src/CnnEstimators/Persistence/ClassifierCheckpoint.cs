using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
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
    private const int FormatVersion = 1;

    private sealed record Config(
        int Version, string Architecture, int NumClasses, int InChannels, CnnInputKind InputKind, int Channels, int Height, int Width,
        int[]? VectorShape, float PixelScale, float[] Mean, float[] Std, string ImageColumnName, string ScoreColumnName,
        string PredictedLabelColumnName, string[] LabelValues, int BatchSize, bool SkipUnreadableImages, List<CnnEpochMetrics> History);

    public static void Save(CnnClassifierTransformer transformer, string path)
    {
        var p = transformer.Preprocessing;
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        if (transformer.Columns.LabelAnnotations.Schema.GetColumnOrNull(ScoreColumns.KeyValues) is not { Type: VectorDataViewType { ItemType: TextDataViewType } })
            throw new NotSupportedException("The checkpoint format stores text label values; this label key has none.");
        transformer.Columns.LabelAnnotations.GetValue(ScoreColumns.KeyValues, ref names);
        var config = new Config(FormatVersion, transformer.Model.Architecture, transformer.Model.NumClasses, transformer.Model.InChannels,
            p.InputKind, p.Channels, p.Height, p.Width, p.VectorShape is var (c, h, w) ? [c, h, w] : null, p.PixelScale, p.Mean.ToArray(), p.Std.ToArray(),
            transformer.ImageColumnName, transformer.ScoreColumnName, transformer.PredictedLabelColumnName,
            names.DenseValues().Select(n => n.ToString()).ToArray(), transformer.BatchSize, transformer.SkipUnreadableImages, transformer.History.ToList());

        var temporary = path + ".tmp";
        try
        {
            using (var zip = ZipFile.Open(temporary, ZipArchiveMode.Create))
            {
                using (var weights = zip.CreateEntry(WeightsEntry, CompressionLevel.NoCompression).Open())
                    transformer.Model.save(weights);
                using (var json = zip.CreateEntry(ConfigEntry).Open())
                    JsonSerializer.Serialize(json, config);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public static CnnClassifierTransformer Load(string path, string device)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Classifier file '{path}' does not exist.", path);
        Config config;
        CnnModel model;
        try
        {
            using var zip = ZipFile.OpenRead(path);
            using (var json = Entry(zip, path, ConfigEntry).Open())
                config = JsonSerializer.Deserialize<Config>(json) ?? throw Corrupt(path, "empty configuration");
            if (config.Version != FormatVersion)
                throw Corrupt(path, $"format version {config.Version}; this MLNetCnn reads version {FormatVersion}");
            model = CnnZoo.Create(config.Architecture, config.NumClasses, config.InChannels);
            using var buffer = new MemoryStream();
            using (var weights = Entry(zip, path, WeightsEntry).Open())
                weights.CopyTo(buffer);
            buffer.Position = 0;
            model.load(buffer);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or EndOfStreamException or ArgumentException)
        {
            throw e is InvalidDataException { Message: var m } && m.Contains(path) ? e : Corrupt(path, e.Message);
        }

        var preprocessing = new CnnPreprocessing(config.InputKind, config.Channels, config.Height, config.Width,
            config.VectorShape is [var c, var h, var w] ? (c, h, w) : null, config.PixelScale, config.Mean, config.Std);
        var columns = new ScoreColumns(config.ScoreColumnName, config.PredictedLabelColumnName,
            new KeyDataViewType(typeof(uint), config.LabelValues.Length), LabelValueAnnotations(config.LabelValues));
        var target = DeviceSelection.Resolve(device);
        model.to(target);
        return new CnnClassifierTransformer(model, preprocessing, config.ImageColumnName, columns, config.BatchSize,
            config.SkipUnreadableImages, CnnInferenceEngine.Auto, config.History);
    }

    private static DataViewSchema.Annotations LabelValueAnnotations(string[] values)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        ValueGetter<VBuffer<ReadOnlyMemory<char>>> getter = (ref VBuffer<ReadOnlyMemory<char>> dst) =>
            dst = new VBuffer<ReadOnlyMemory<char>>(values.Length, values.Select(v => v.AsMemory()).ToArray());
        builder.Add(ScoreColumns.KeyValues, new VectorDataViewType(TextDataViewType.Instance, values.Length), getter);
        return builder.ToAnnotations();
    }

    private static ZipArchiveEntry Entry(ZipArchive zip, string path, string name)
        => zip.GetEntry(name) ?? throw Corrupt(path, $"it has no '{name}'");

    private static InvalidDataException Corrupt(string path, string reason)
        => new($"'{path}' is not an MLNetCnn classifier file: {reason}. Save one with transformer.SaveCheckpoint(path).");
}

// A user's program, built by eng/check-packages.sh against the packed MLNetCnn packages (not the projects): train one
// epoch on generated images, save and reload the ML.NET model, predict, round-trip a checkpoint, draw a chart.
// With a folder argument it also writes its images there as PNG files, one sub-folder per class, for the tool's check.
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MLNetCnn;
using MLNetCnn.Charts;

var ml = new MLContext(seed: 1);
var random = new Random(3);
var rows = Enumerable.Range(0, 64).Select(i => Draw(i % 2 == 0 ? "square" : "ring", random)).ToList();
var data = ml.Data.LoadFromEnumerable(rows);
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.MulticlassClassification.Trainers.Cnn(new CnnTrainerOptions
    {
        Model = new() { Architecture = "resnet20" },
        Schedule = new() { Epochs = 1, BatchSize = 16 },
        Runtime = new() { Seed = 1 },
    }))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
var model = pipeline.Fit(data);
var folder = Directory.CreateTempSubdirectory("mlnetcnn-consumer-").FullName;
try
{
    ml.Model.Save(model, data.Schema, Path.Combine(folder, "model.zip"));
    using var loaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(Path.Combine(folder, "model.zip"), out _);
    var prediction = new MLContext().Model.CreatePredictionEngine<Row, Prediction>(loaded).Predict(rows[0]);
    if (prediction.Score.Length != 2 || prediction.PredictedLabel is not ("square" or "ring"))
        throw new InvalidOperationException($"Unexpected prediction: {prediction.PredictedLabel}, {prediction.Score.Length} scores.");
    Console.WriteLine($"reloaded model predicts '{prediction.PredictedLabel}' ({string.Join(", ", prediction.Score.Select(s => s.ToString("F3")))})");

    var cnn = model.OfType<CnnClassifierTransformer>().Single();
    cnn.SaveCheckpoint(Path.Combine(folder, "classifier.mlnetcnn"));
    using var again = ml.Cnn().LoadClassifier(Path.Combine(folder, "classifier.mlnetcnn"));
    Console.WriteLine($"checkpoint reloaded: {again.Model.Architecture}, {again.History.Count} epoch(s)");

    TrainingCurvesChart.Save(new Dictionary<string, IReadOnlyList<CnnEpochMetrics>> { ["resnet20"] = cnn.History }, Path.Combine(folder, "curves.png"));
    Console.WriteLine($"chart drawn: {new FileInfo(Path.Combine(folder, "curves.png")).Length} bytes");
}
finally
{
    Directory.Delete(folder, recursive: true);
}

if (args.Length > 0)
{
    foreach (var (row, index) in rows.Select((row, index) => (row, index)))
    {
        Directory.CreateDirectory(Path.Combine(args[0], row.Label));
        row.Image.Save(Path.Combine(args[0], row.Label, $"{index:D3}.png"));
    }
    Console.WriteLine($"wrote {rows.Count} images into {args[0]}");
}

// A filled square or a ring of a random colour at a random place on a random grey background: shape, not colour, decides.
static Row Draw(string label, Random random)
{
    const int size = 32;
    var pixels = new byte[4 * size * size];
    var background = (byte)random.Next(30, 120);
    var (r, g, b) = ((byte)random.Next(130, 256), (byte)random.Next(130, 256), (byte)random.Next(130, 256));
    var (cx, cy, radius) = (random.Next(10, 22), random.Next(10, 22), random.Next(6, 10));
    for (var y = 0; y < size; y++)
    for (var x = 0; x < size; x++)
    {
        var distance = Math.Sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy));
        var inside = label == "square" ? Math.Abs(x - cx) <= radius && Math.Abs(y - cy) <= radius : distance <= radius && distance >= radius - 2;
        var p = 4 * (y * size + x);
        (pixels[p], pixels[p + 1], pixels[p + 2], pixels[p + 3]) = inside ? (r, g, b, (byte)255) : (background, background, background, (byte)255);
    }
    return new Row { Label = label, Image = MLImage.CreateFromPixels(size, size, MLPixelFormat.Rgba32, pixels) };
}

internal sealed class Row
{
    public string Label { get; set; } = "";

    [ImageType(32, 32)]
    public MLImage Image { get; set; } = null!;
}

internal sealed class Prediction
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}

// Small-data reliability: ResNet-20 from scratch on 800 generated shapes in random colours (shape alone decides; random
// positions and sizes), k-fold cross-validation (ML.NET's CrossValidate) over several seeds, for a recipe: each run's
// held-out accuracy, and how many runs learned (held-out accuracy of at least --learned). Prints Markdown rows.
// Usage: dotnet run -c Release --project bench/SmallData [-- --recipe defaults|small --images 800 --folds 3 --seeds 1,2,3
//        --epochs 10 --learned 0.9] [--optimizer AdamW --lr 0.003 --batch 32 --warmup 1 --ema 0.99 ...]
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNetCnn;
using MLNetCnn.Samples;
using MLNetCnn.Tests.Support;

var arguments = new Arguments(args);
var recipe = arguments.Get("--recipe", "defaults");
var images = arguments.Get("--images", 800);
var folds = arguments.Get("--folds", 3);
var seeds = arguments.Get("--seeds", "1,2,3").Split(',').Select(int.Parse).ToArray();
var learned = double.Parse(arguments.Get("--learned", "0.9"), CultureInfo.InvariantCulture);

CnnTrainerOptions Options(int seed)
{
    var options = recipe switch
    {
        "defaults" => new CnnTrainerOptions(),
        _ => throw new ArgumentException($"--recipe is defaults or small, not '{recipe}'."),
    };
    (options.Architecture, options.ImageSize, options.Seed, options.Threads) = ("resnet20", Shapes.Size, seed, 2);
    // Overrides, for exploring recipes.
    if (arguments.GetOrNull("--epochs") is string epochs) options.Epochs = int.Parse(epochs, CultureInfo.InvariantCulture);
    if (arguments.GetOrNull("--optimizer") is string optimizer) options.Optimizer = Enum.Parse<CnnOptimizer>(optimizer);
    if (arguments.GetOrNull("--lr") is string rate) options.LearningRate = double.Parse(rate, CultureInfo.InvariantCulture);
    if (arguments.GetOrNull("--batch") is string batch) options.BatchSize = int.Parse(batch, CultureInfo.InvariantCulture);
    if (arguments.GetOrNull("--warmup") is string warmup) options.WarmupEpochs = double.Parse(warmup, CultureInfo.InvariantCulture);
    if (arguments.GetOrNull("--wd") is string decay) options.WeightDecay = double.Parse(decay, CultureInfo.InvariantCulture);
    if (arguments.GetOrNull("--ema") is string ema) options.EmaDecay = ema == "none" ? null : double.Parse(ema, CultureInfo.InvariantCulture);
    if (arguments.GetOrNull("--schedule") is string schedule) options.Schedule = Enum.Parse<CnnLearningRateSchedule>(schedule);
    if (arguments.GetOrNull("--flip") is string flip) options.HorizontalFlip = bool.Parse(flip);
    if (arguments.GetOrNull("--crop") is string crop) options.RandomCropPadding = int.Parse(crop, CultureInfo.InvariantCulture);
    return options;
}

var accuracies = new List<double>();
var clock = Stopwatch.StartNew();
foreach (var seed in seeds)
{
    var ml = new MLContext(seed: seed);
    var data = ml.Data.LoadFromEnumerable(Shapes.Generate(images, seed: 100 + seed, randomColours: true).Select(e => e.AsImage()).ToList());
    var options = Options(seed);
    var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.Cnn(options));
    var results = ml.MulticlassClassification.CrossValidate(data, pipeline, numberOfFolds: folds, seed: seed);
    foreach (var fold in results)
    {
        accuracies.Add(fold.Metrics.MicroAccuracy);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seed {seed} fold {fold.Fold}: {fold.Metrics.MicroAccuracy:P1} ({clock.Elapsed.TotalSeconds:F0} s so far)"));
        (fold.Model as IDisposable)?.Dispose();
    }
}
var o = Options(seeds[0]);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| {recipe}: {o.Optimizer} {o.LearningRate}, batch {o.BatchSize}, {o.Schedule}, warm-up {o.WarmupEpochs}, {o.Epochs} epochs, EMA {o.EmaDecay?.ToString() ?? "off"} " +
    $"| {string.Join(", ", accuracies.Select(a => $"{a:P1}"))} | {accuracies.Count(a => a >= learned)} of {accuracies.Count} | {accuracies.Min():P1} | {clock.Elapsed.TotalSeconds / accuracies.Count:F0} s |"));

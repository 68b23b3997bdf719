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
    options = options with
    {
        Model = options.Model with { Architecture = "resnet20" },
        Input = options.Input with { ImageSize = Shapes.Size },
        Runtime = options.Runtime with { Seed = seed, Threads = 2 },
    };
    // Overrides, for exploring recipes.
    T? Given<T>(string name, Func<string, T> parse) where T : struct => arguments.GetOrNull(name) is string text ? parse(text) : null;
    double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);
    int Integer(string text) => int.Parse(text, CultureInfo.InvariantCulture);
    options = options with
    {
        Schedule = options.Schedule with
        {
            Epochs = Given("--epochs", Integer) ?? options.Schedule.Epochs,
            BatchSize = Given("--batch", Integer) ?? options.Schedule.BatchSize,
            WarmupEpochs = Given("--warmup", Number) ?? options.Schedule.WarmupEpochs,
            Kind = Given("--schedule", Enum.Parse<CnnLearningRateSchedule>) ?? options.Schedule.Kind,
        },
        Optimizer = options.Optimizer with
        {
            Kind = Given("--optimizer", Enum.Parse<CnnOptimizer>) ?? options.Optimizer.Kind,
            LearningRate = Given("--lr", Number) ?? options.Optimizer.LearningRate,
            WeightDecay = Given("--wd", Number) ?? options.Optimizer.WeightDecay,
        },
        Regularization = arguments.GetOrNull("--ema") is string ema
            ? options.Regularization with { EmaDecay = ema == "none" ? null : Number(ema) }
            : options.Regularization,
        Augmentation = options.Augmentation with
        {
            HorizontalFlip = Given("--flip", bool.Parse) ?? options.Augmentation.HorizontalFlip,
            RandomCropPadding = Given("--crop", Integer) ?? options.Augmentation.RandomCropPadding,
        },
    };
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
    $"| {recipe}: {o.Optimizer.Kind} {o.Optimizer.LearningRate}, batch {o.Schedule.BatchSize}, {o.Schedule.Kind}, warm-up {o.Schedule.WarmupEpochs}, {o.Schedule.Epochs} epochs, EMA {o.Regularization.EmaDecay?.ToString() ?? "off"} " +
    $"| {string.Join(", ", accuracies.Select(a => $"{a:P1}"))} | {accuracies.Count(a => a >= learned)} of {accuracies.Count} | {accuracies.Min():P1} | {clock.Elapsed.TotalSeconds / accuracies.Count:F0} s |"));

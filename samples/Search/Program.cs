// Search: architectures, variants, input sizes and recipes searched on Fashion-MNIST under a time budget with successive
// halving (ASHA): weak trials stop after their first epoch, the best go on. Prints each trial as it ends, the trials ranked,
// the best model's accuracy on the held-out test set; saves that model as an ML.NET model zip and draws the accuracy-latency
// front and the report page. A fifth of the training images ranks the trials; the test set stays unseen until the end.
// Usage: dotnet run -c Release --project samples/Search
//        [-- --minutes 3 --train 5000 --test 10000 --strategy asha|random --seed 1 --max-latency-ms X --out search-model.zip]
using System.Globalization;
using Microsoft.ML;
using MLNetCnn;
using MLNetCnn.Charts;
using MLNetCnn.Samples;

var arguments = new Arguments(args);
var folder = arguments.Get("--data", FashionMnist.DefaultFolder);
var minutes = double.Parse(arguments.Get("--minutes", "3"), CultureInfo.InvariantCulture);
var trainCount = arguments.Get("--train", 5000);
var testCount = arguments.Get("--test", 10000);
var seed = arguments.Get("--seed", 1);
var strategy = arguments.Get("--strategy", "asha") == "random" ? CnnSearchStrategy.Random() : CnnSearchStrategy.Asha();
var maxLatency = arguments.Get("--max-latency-ms", "");
var modelPath = Path.GetFullPath(arguments.Get("--out", "search-model.zip"));

var ml = new MLContext(seed: 1);
var (train, test) = FashionMnistRows.LoadKeyed(ml, folder, trainCount, testCount);
// The space the search derives for 28x28 grey images and this many rows, over rows of pixel vectors.
var space = CnnSearchSpace.For(imageSize: 28, channels: 1, classes: 10, rows: trainCount) with { Basis = FashionMnistRows.ForPixels(CnnRecipes.Default()) };
var search = ml.Cnn().CreateSearch().SetDataset(train, fraction: 0.2).SetSearchSpace(space).SetStrategy(strategy).SetSeed(seed)
    .SetTimeBudget(TimeSpan.FromMinutes(minutes));
if (maxLatency.Length > 0)
    search.SetMaxLatency(TimeSpan.FromMilliseconds(double.Parse(maxLatency, CultureInfo.InvariantCulture)));
Console.WriteLine($"Fashion-MNIST: {trainCount} training images (a fifth for validation), {testCount} test images; {strategy} for {minutes} minute(s)");

using var result = search.Run(new Progress<CnnSearchTrial>(t => Console.WriteLine(
    $"  #{t.Number} {t.Candidate} at {t.ImageSize} px: {t.Status}, {t.Epochs:0.#} epoch(s), validation {t.ValidationAccuracy:P2}, {t.LatencyMs:F2} ms per image")));

Console.WriteLine();
Console.WriteLine(result);
var metrics = ml.MulticlassClassification.Evaluate(result.Model.Transform(test));
Console.WriteLine($"best: #{result.BestTrial.Number} {result.BestTrial.Candidate} at {result.BestTrial.ImageSize} px; test accuracy {metrics.MicroAccuracy:P2}, log-loss {metrics.LogLoss:F4}");
Console.WriteLine($"front (accuracy against latency): {string.Join(", ", result.Front.Select(t => $"#{t.Number} {t.ValidationAccuracy:P1} at {t.LatencyMs:F2} ms"))}");
ml.Model.Save(result.Model, train.Schema, modelPath);
SearchFrontChart.Save(result, Path.ChangeExtension(modelPath, ".png"));
CnnReport.Write(Path.ChangeExtension(modelPath, ".html"), result, new CnnReportOptions { Title = $"Search on Fashion-MNIST ({trainCount} training images)" });
Console.WriteLine($"model written to {modelPath}, the front to {Path.ChangeExtension(modelPath, ".png")}, the report to {Path.ChangeExtension(modelPath, ".html")}");

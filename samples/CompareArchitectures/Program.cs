// CompareArchitectures: the lecture's "comparing complexity" on Fashion-MNIST. Trains each candidate architecture
// on the same images, ranks them on held-out images, prints the leaderboard and draws accuracy against G-MACs
// (bubble area = parameters) as a PNG, and the report page beside it. A candidate that cannot run (alexnet needs at least 63x63 images) is
// recorded as failed, not fatal.
// Usage: dotnet run -c Release --project samples/CompareArchitectures
//        [-- --arch resnet20,plain20,resnet32,resnet18,alexnet --epochs 2 --train 10000 --validation 2000 --chart complexity.png]
using Microsoft.ML;
using MLNetCnn;
using MLNetCnn.Charts;
using MLNetCnn.Samples;

var arguments = new Arguments(args);
var folder = arguments.Get("--data", FashionMnist.DefaultFolder);
var architectures = arguments.Get("--arch", "resnet20,plain20,resnet32,resnet18,alexnet").Split(',', StringSplitOptions.TrimEntries);
var epochs = arguments.Get("--epochs", 2);
var trainCount = arguments.Get("--train", 10000);
var validationCount = arguments.Get("--validation", 2000);
var chartPath = Path.GetFullPath(arguments.Get("--chart", "complexity.png"));

var ml = new MLContext(seed: 1);
var (train, validation) = FashionMnistRows.LoadKeyed(ml, folder, trainCount, validationCount);
Console.WriteLine($"Fashion-MNIST: {trainCount} training, {validationCount} validation images; {epochs} epoch(s) per candidate");

var settings = new CnnExperimentSettings
{
    Architectures = architectures,
    TrainerOptions = architecture => FashionMnistRows.ForPixels(CnnRecipes.Sgd(architecture, epochs)),
};
var result = ml.Cnn().CreateExperiment(settings).Execute(train, validation, new Progress<CnnRunResult>(run =>
    Console.WriteLine(run.Exception is null
        ? $"  {run.Architecture}: accuracy {run.Accuracy:P2} in {run.TrainTime.TotalSeconds:F0} s"
        : $"  {run.Architecture}: failed ({run.Exception.Message.Split('\n')[0]})")));

Console.WriteLine();
Console.WriteLine(result);
ComplexityChart.Save(result, chartPath);
var reportPath = Path.ChangeExtension(chartPath, ".html");
CnnReport.Write(reportPath, result, new CnnReportOptions { Title = $"Architectures compared on Fashion-MNIST ({trainCount} training images)" });
Console.WriteLine($"best: {result.BestRun?.Architecture}; chart written to {chartPath}, report to {reportPath}");
foreach (var run in result.Runs)
    run.Model?.Dispose();

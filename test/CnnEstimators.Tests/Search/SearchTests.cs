using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;

namespace MLNetCnn.Tests.Search;

/// <summary>mlContext.Cnn().CreateSearch(): successive halving and random search under a budget, on random-colour shapes.</summary>
public class SearchTests
{
    // Two narrow CIFAR ResNets at two sizes and one optimiser range: small enough for seconds per rung on two cores.
    internal static CnnSearchSpace TinySpace() => new()
    {
        Candidates = [new("resnet20", new CifarResNetArguments { BlocksPerStage = 1, WidthMultiplier = 0.5 }), new("resnet20", new CifarResNetArguments { BlocksPerStage = 1 })],
        ImageSizes = [24, 32],
        Optimizers = [new(CnnOptimizer.AdamW, 1e-3, 4e-3)],
        BatchSizes = [16],
        AugmentationLevels = [0, 1],
        MixUpAlpha = [0],
        Basis = CnnRecipes.Default() with { Runtime = new() { Threads = 2 } },
    };

    private static (MLContext Ml, IDataView Train, IDataView Validation) Data(int trainRows = 240, int seed = 31)
    {
        var ml = new MLContext(seed: 1);
        var raw = Pipelines.ImagesView(ml, Shapes.Generate(trainRows, seed, classes: 3));
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw);
        return (ml, keys.Transform(raw), keys.Transform(Pipelines.ImagesView(ml, Shapes.Generate(90, seed + 1, classes: 3))));
    }

    [Fact]
    public void Asha_HalvesAtEachRung_MeasuresEveryTrial_AndReturnsTheBestModel()
    {
        var (ml, train, validation) = Data();
        var reported = new List<CnnSearchTrial>();

        using var result = ml.Cnn().CreateSearch().SetDataset(train, validation).SetSearchSpace(TinySpace())
            .SetStrategy(CnnSearchStrategy.Asha(minEpochs: 1, maxEpochs: 4, reductionFactor: 2)).SetMaxTrials(6).SetSeed(5)
            .SetTimeBudget(TimeSpan.FromMinutes(5)).Run(new SynchronousProgress<CnnSearchTrial>(reported.Add));

        result.Trials.Select(t => t.Number).Should().Equal(0, 1, 2, 3, 4, 5);
        result.Trials.Should().OnlyContain(t => t.LatencyMs > 0 && t.Parameters > 0 && t.Macs > 0 && t.Rung >= 0 && t.ValidationAccuracy != null);
        // Six trials at rung 0 (1 epoch), at most three at rung 1 (2 epochs), at most one at rung 2 (4 epochs), plus the best continued to the end.
        result.Trials.Count(t => t.Rung >= 1).Should().BeInRange(1, 4);
        result.Trials.Count(t => t.Status == CnnSearchTrialStatus.Completed).Should().BeInRange(1, 2);
        result.Trials.Where(t => t.Rung == 0).Should().OnlyContain(t => t.Epochs == 1 && t.Status == CnnSearchTrialStatus.StoppedEarly);
        reported.Count.Should().BeGreaterThan(6, "each rung a trial finishes is reported");

        var best = result.BestTrial;
        best.Should().Be(result.Trials.MaxBy(t => t.ValidationAccuracy));
        best.ValidationAccuracy.Should().BeGreaterThan(0.5, "three shapes in random colours: chance is a third");
        // ML.NET's evaluator on the returned model agrees with the validation accuracy the search recorded.
        var metrics = ml.MulticlassClassification.Evaluate(result.Model.Transform(validation));
        metrics.MicroAccuracy.Should().BeApproximately(best.ValidationAccuracy!.Value, 1.5 / 90);
        best.Options.Model.Architecture.Should().Be("resnet20");

        result.Front.Should().NotBeEmpty().And.Contain(best).And.BeInAscendingOrder(t => t.LatencyMs);
        foreach (var t in result.Front)
            result.Trials.Should().NotContain(u => u.ValidationAccuracy > t.ValidationAccuracy && u.LatencyMs < t.LatencyMs);
        result.ToString().Should().Contain("asha(rungs 1/2/4 epochs").And.Contain(best.Candidate);
    }

    [Fact]
    public void Sample_DrawsTrialNFromTheSeedAlone_WithinTheSpace()
    {
        var space = TinySpace();
        var first = space.Sample(seed: 3, trial: 4, epochs: 9);

        first.ToJson().Should().Be(space.Sample(3, 4, 9).ToJson());
        Enumerable.Range(0, 8).Select(n => space.Sample(3, n, 9).ToJson()).Distinct().Should().HaveCountGreaterThan(4);
        Enumerable.Range(0, 8).Select(n => space.Sample(3, n, 9).ToJson()).Should().NotEqual(Enumerable.Range(0, 8).Select(n => space.Sample(4, n, 9).ToJson()));
        foreach (var options in Enumerable.Range(0, 20).Select(n => space.Sample(3, n, 9)))
        {
            options.Schedule.Epochs.Should().Be(9);
            options.Input.ImageSize.Should().BeOneOf(24, 32);
            options.Optimizer.LearningRate.Should().BeInRange(1e-3 * 0.99, 4e-3 * 1.01);
            options.Optimizer.WeightDecay.Should().BeInRange(1e-5 * 0.99, 1e-3 * 1.01);
            options.Runtime.Threads.Should().Be(2, "the basis's runtime stays");
            options.Problems().Should().BeEmpty();
        }
    }

    [Fact]
    public void StableSeed_IsTheSameInEveryProcess()
    {
        // .NET randomises HashCode per process; a resumed or shared search must draw the same trials in every process, so the seeds
        // are SplitMix64 of their parts. The values are those of an independent Python implementation of the same formula.
        MLNetCnn.Search.StableSeed.Of(7, 3, 1).Should().Be(683216218);
        MLNetCnn.Search.StableSeed.Of(-1, 5, 2).Should().Be(496384255);
    }

    [Fact]
    public void For_SmallGreyImages_OffersCifarNetsAtTheirSizeAndThePretrainedNetAt64()
    {
        var space = CnnSearchSpace.For(imageSize: 28, channels: 1, classes: 10, rows: 5000);

        space.Problems().Should().BeEmpty();
        space.ImageSizes.Should().Equal(28);
        space.Candidates.Select(c => c.Architecture).Should().Contain(["resnet20", "resnet32", "resnet18_cntk"]);
        space.SizesFor(space.Candidates.Single(c => c.Weights is not null)).Should().Equal(64);
        CnnSearchSpace.For(320, 3, 5, 400).ImageSizes.Should().Equal(224, 112);
        FluentActions.Invoking(() => CnnSearchSpace.For(28, 1, 1, 10)).Should().Throw<ArgumentException>().WithMessage("*at least 2 classes*");
    }

    [Fact]
    public void Run_Interrupted_ContinuesWithoutRetraining_AndEndsAsAnUninterruptedSearch()
    {
        var (ml, train, validation) = Data(trainRows: 150);
        using var whole = new TempFolder();
        using var interrupted = new TempFolder();
        // One size, so that the top trials can form an ensemble (its members read one image size).
        CnnSearchExperiment Search(string folder) => ml.Cnn().CreateSearch().SetDataset(train, validation).SetSearchSpace(TinySpace() with { ImageSizes = [32] })
            .SetStrategy(CnnSearchStrategy.Asha(1, 2, 2)).SetMaxTrials(4).SetSeed(11).SetTimeBudget(TimeSpan.FromMinutes(5)).SetOutputFolder(folder);

        using var expected = Search(whole.Path).Run();
        using var cancel = new CancellationTokenSource();
        var before = new List<(int, int)>();
        FluentActions.Invoking(() => Search(interrupted.Path).Run(new SynchronousProgress<CnnSearchTrial>(t =>
        {
            before.Add((t.Number, t.Rung));
            cancel.Cancel();   // after the first job: the search stops before the next
        }), cancel.Token)).Should().Throw<OperationCanceledException>();
        var after = new List<(int, int)>();
        using var resumed = Search(interrupted.Path).Run(new SynchronousProgress<CnnSearchTrial>(t => after.Add((t.Number, t.Rung))));

        before.Should().NotBeEmpty();
        after.Should().NotIntersectWith(before, "a finished job is not run again");
        resumed.Trials.Select(t => (t.Number, t.OptionsJson, t.Status, t.Rung, t.Epochs, t.ValidationAccuracy))
            .Should().Equal(expected.Trials.Select(t => (t.Number, t.OptionsJson, t.Status, t.Rung, t.Epochs, t.ValidationAccuracy)));
        resumed.BestTrial.Number.Should().Be(expected.BestTrial.Number);
        resumed.Folder.Should().Be(Path.GetFullPath(interrupted.Path));
        using var reloaded = resumed.LoadModel(resumed.BestTrial.Number);
        reloaded.LabelValues.Should().Equal(resumed.Model.LabelValues);
        // The top trials as an ensemble: ML.NET's evaluator scores it like any classifier.
        var members = resumed.LoadBestModels(2);
        try
        {
            var ensemble = ml.Transforms.CnnEnsemble(members).Fit(validation);
            var scores = ensemble.Transform(validation).GetColumn<float[]>("Score").First();
            var each = members.Select(m => m.Transform(validation).GetColumn<float[]>("Score").First()).ToList();
            scores.Should().Equal(Enumerable.Range(0, 3).Select(k => (each[0][k] + each[1][k]) / 2), (a, b) => Math.Abs(a - b) < 1e-5, "the mean of the two best trials");
        }
        finally
        {
            foreach (var member in members)
                member.Dispose();
        }
        FluentActions.Invoking(() => resumed.LoadBestModels(99)).Should().Throw<ArgumentException>().WithMessage("*count must be from 1 to the*");

        FluentActions.Invoking(() => Search(whole.Path).SetSeed(12).Run()).Should().Throw<ArgumentException>().WithMessage("*holds another search*");
    }

    [Fact]
    public void Random_TrainsEveryTrialToTheEnd_WithTheConfigurationsAshaDraws()
    {
        var (ml, train, validation) = Data(trainRows: 120);

        using var result = ml.Cnn().CreateSearch().SetDataset(train, validation).SetSearchSpace(TinySpace())
            .SetStrategy(CnnSearchStrategy.Random(epochs: 2)).SetMaxTrials(2).SetSeed(5).SetTimeBudget(TimeSpan.FromMinutes(3)).Run();

        result.Strategy.Should().Be("random(2 epochs)");
        result.Trials.Should().HaveCount(2).And.OnlyContain(t => t.Status == CnnSearchTrialStatus.Completed && t.Epochs == 2 && t.History.Count == 2);
        var asha = TinySpace().Sample(5, 1, 2);
        result.Trials[1].Options.Should().BeEquivalentTo(asha with { Runtime = result.Trials[1].Options.Runtime, Columns = asha.Columns });
    }

    [Fact]
    public void Run_WithABudget_EndsWithinTenPercentOfIt_AndStopsTheLastTrialAtTheDeadline()
    {
        var (ml, train, validation) = Data(trainRows: 200);
        var budget = TimeSpan.FromSeconds(30);

        using var result = ml.Cnn().CreateSearch().SetDataset(train, validation).SetSearchSpace(TinySpace())
            .SetStrategy(CnnSearchStrategy.Asha(1, 729, 3)).SetSeed(2).SetTimeBudget(budget).Run();

        result.Elapsed.Should().BeLessThan(budget * 1.1).And.BeGreaterThan(budget * 0.7);
        result.Trials.Should().HaveCountGreaterThan(1);
        result.Trials.Should().NotContain(t => t.Status == CnnSearchTrialStatus.Completed, "729 epochs do not fit in 30 s");
    }

    [Fact]
    public void Run_BadInput_SaysWhatIsWrong()
    {
        var (ml, train, validation) = Data(trainRows: 60);
        CnnSearchExperiment Search() => ml.Cnn().CreateSearch().SetDataset(train, validation).SetSearchSpace(TinySpace()).SetTimeBudget(TimeSpan.FromMinutes(2));

        FluentActions.Invoking(() => ml.Cnn().CreateSearch().SetDataset(train, validation).Run()).Should().Throw<ArgumentException>().WithMessage("*SetTimeBudget*");
        FluentActions.Invoking(() => Search().SetMaxParameters(1000).Run()).Should().Throw<ArgumentException>()
            .WithMessage("*No candidate of the search space meets SetMaxParameters (1,000)*the smallest*resnet20*");
        var oneClass = Pipelines.Keyed(ml, Shapes.Generate(60, seed: 8, classes: 3).Where(e => e.Label == Shapes.Classes[0]));
        FluentActions.Invoking(() => ml.Cnn().CreateSearch().SetDataset(oneClass, validation).SetSearchSpace(TinySpace()).SetTimeBudget(TimeSpan.FromMinutes(1)).Run())
            .Should().Throw<ArgumentException>().WithMessage("*1 class(es)*at least two*");
        FluentActions.Invoking(() => Search().SetSearchSpace(TinySpace() with { ImageSizes = [], Candidates = [new("nonet")] }).Run())
            .Should().Throw<ArgumentException>().WithMessage("*'nonet' is not a registered architecture*ImageSizes*");
        FluentActions.Invoking(() => Search().SetMaxLatency(TimeSpan.FromTicks(1)).SetMaxTrials(2).Run())
            .Should().Throw<InvalidOperationException>().WithMessage("No trial meets SetMaxLatency*the fastest measured*ms per image*");
        using var stray = new TempFolder();
        File.WriteAllText(stray.File("notes.txt"), "mine");
        FluentActions.Invoking(() => Search().SetOutputFolder(stray.Path).Run()).Should().Throw<ArgumentException>().WithMessage("*holds files but no search.json*");
    }

    [Fact]
    public void Run_BudgetTooSmallForOneEpoch_SaysHowMuchIsNeeded()
    {
        var (ml, train, validation) = Data(trainRows: 1200);

        FluentActions.Invoking(() => ml.Cnn().CreateSearch().SetDataset(train, validation).SetSearchSpace(TinySpace() with { Candidates = [new("resnet56")] })
                .SetTimeBudget(TimeSpan.FromSeconds(2)).Run())
            .Should().Throw<InvalidOperationException>().WithMessage("The budget of 2 s is too small for one epoch*one epoch needs about*");
    }
}

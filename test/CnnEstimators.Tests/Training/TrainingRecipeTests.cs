using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Tests.Support;
using MLNetCnn.Training;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Tests.Training;

/// <summary>Colour jitter, random erasing, MixUp, CutMix, class weights and gradient clipping, each by a property that fails if it is wrong.</summary>
public class TrainingRecipeTests
{
    private static Tensor Batch(int seed) { manual_seed(seed); return rand(6, 3, 16, 16); }

    [Fact]
    public void ColorJitter_OfZeroStrength_IsTheIdentity_AndAnyStrengthKeepsRangeAndSeed()
    {
        using var batch = Batch(1);
        using (var generator = new Generator(5))
            (BatchAugmentation.Jitter(batch, (0, 0, 0), generator) - batch).abs().max().item<float>().Should().BeLessThan(1e-6f);
        using var first = new Generator(5);
        using var second = new Generator(5);
        var jittered = BatchAugmentation.Jitter(batch, (0.8, 0.8, 0.8), first);
        jittered.min().item<float>().Should().BeGreaterThanOrEqualTo(0);
        jittered.max().item<float>().Should().BeLessThanOrEqualTo(1);
        jittered.eq(BatchAugmentation.Jitter(batch, (0.8, 0.8, 0.8), second)).all().item<bool>().Should().BeTrue("the same seed gives the same batch");
        (jittered - batch).abs().max().item<float>().Should().BeGreaterThan(0.01f);
    }

    [Fact]
    public void RandomErasing_TouchesOnlyOneBoxPerImage_FilledWithItsMeanColour()
    {
        using var batch = Batch(2);
        using var generator = new Generator(3);
        var erased = BatchAugmentation.Erase(batch, probability: 1, generator);
        for (var i = 0; i < 6; i++)
        {
            var changed = erased[i].ne(batch[i]).any(0);   // H x W
            var rows = changed.any(1).nonzero().flatten().data<long>().ToArray();
            var columns = changed.any(0).nonzero().flatten().data<long>().ToArray();
            rows.Should().NotBeEmpty();
            var box = changed.narrow(0, rows.Min(), rows.Max() - rows.Min() + 1).narrow(1, columns.Min(), columns.Max() - columns.Min() + 1);
            box.all().item<bool>().Should().BeTrue($"image {i}: the changed pixels fill one rectangle");
            ((int)changed.sum().item<long>()).Should().Be(rows.Length * columns.Length);
            erased[i][.., (int)rows[0], (int)columns[0]].allclose(batch[i].mean([1, 2])).Should().BeTrue("the box holds the image's mean colour");
        }
        using var none = new Generator(3);
        BatchAugmentation.Erase(batch, probability: 0, none).eq(batch).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void MixUp_BlendsImagesAndTargetsAlike_AndTargetsSumToOne()
    {
        using var images = Batch(3);
        using var labels = tensor(new long[] { 0, 1, 2, 0, 1, 2 });
        var targets = BatchMixing.SoftTargets(labels, 3, smoothing: 0.1);
        targets.sum(1).allclose(ones(6)).Should().BeTrue();
        using var partner = tensor(new long[] { 5, 4, 3, 2, 1, 0 });

        var (mixed, mixedTargets) = BatchMixing.MixUp(images, targets, partner, 0.7);

        mixed.allclose(images * 0.7 + images.index_select(0, partner) * 0.3).Should().BeTrue();
        mixedTargets.allclose(targets * 0.7 + targets.index_select(0, partner) * 0.3).Should().BeTrue();
        mixedTargets.sum(1).allclose(ones(6)).Should().BeTrue();
    }

    [Fact]
    public void CutMix_TargetsFollowThePastedArea()
    {
        using var images = Batch(4);
        using var labels = tensor(new long[] { 0, 1, 2, 0, 1, 2 });
        var targets = BatchMixing.SoftTargets(labels, 3, smoothing: 0);
        using var partner = tensor(new long[] { 1, 2, 0, 4, 5, 3 });   // every image pasted from one of another class
        using var generator = new Generator(9);

        var (mixed, mixedTargets) = BatchMixing.CutMix(images, targets, partner, lambda: 0.6, generator);

        var pasted = mixed.ne(images).any(1).to(ScalarType.Float32).mean([1, 2]);   // share of each image's pixels from its partner
        for (var i = 0; i < 6; i++)
        {
            var own = mixedTargets[i, labels[i].item<long>()].item<float>();
            own.Should().BeApproximately(1 - pasted[i].item<float>(), 1e-5f, "the label's weight is the share of the image that is its own");
        }
        mixedTargets.sum(1).allclose(ones(6)).Should().BeTrue();
    }

    [Fact]
    public void GradientClipNorm_BoundsEachStep()
    {
        var ml = new MLContext(seed: 1);
        var view = Pipelines.ImagesView(ml, Shapes.Generate(96, seed: 17));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(view).Transform(view);
        using var model = CnnZoo.Create("resnet20", numClasses: 4);
        var before = model.parameters().Select(p => p.detach().clone()).ToList();
        var options = new CnnTrainerOptions
        {
            Model = new() { Instance = model },
            Input = new() { ImageSize = 32 },
            Optimizer = new() { Kind = CnnOptimizer.Sgd, LearningRate = 0.05, Momentum = 0, WeightDecay = 0, GradientClipNorm = 1e-3 },
            Schedule = new() { Epochs = 1, BatchSize = 32 },
            Runtime = new() { Seed = 2, Threads = 2 },
        };

        using var trained = ml.MulticlassClassification.Trainers.Cnn(options).Fit(data);

        var moved = Math.Sqrt(model.parameters().Zip(before).Sum(pair => Math.Pow((pair.First - pair.Second).norm().item<float>(), 2)));
        moved.Should().BeLessThanOrEqualTo(3 * 0.05 * 1e-3 * 1.001, "three steps of plain SGD, each of a gradient clipped to norm 1e-3");
        moved.Should().BeGreaterThan(0);
    }

    [Fact]
    public void BalanceClasses_RaisesTheMinorityClassesRecall_OnNineToOneData()
    {
        double MinorityRecall(bool balance)
        {
            var ml = new MLContext(seed: 1);
            // 9:1: many squares and discs, few bars and crosses.
            var examples = Shapes.Generate(400, seed: 19).Where((e, i) => e.Label is "square" or "disc" || i % 9 == 0).ToList();
            var view = Pipelines.ImagesView(ml, examples);
            var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Pipelines.ImagesView(ml, Shapes.Generate(8, seed: 20)));
            var options = Pipelines.FastOptions(epochs: 2, seed: 4);
            options = options with { Regularization = options.Regularization with { BalanceClasses = balance } };
            using var trained = ml.MulticlassClassification.Trainers.Cnn(options).Fit(keys.Transform(view));
            var test = keys.Transform(Pipelines.ImagesView(ml, Shapes.Generate(200, seed: 21)));
            var recall = ml.MulticlassClassification.Evaluate(trained.Transform(test)).ConfusionMatrix.PerClassRecall;
            var classes = trained.LabelValues.ToList();
            return (recall[classes.IndexOf("bar")] + recall[classes.IndexOf("cross")]) / 2;
        }

        MinorityRecall(balance: true).Should().BeGreaterThan(MinorityRecall(balance: false));
    }

    [Theory]
    [InlineData(CnnSelectionMetric.Accuracy)]
    [InlineData(CnnSelectionMetric.MacroAccuracy)]
    [InlineData(CnnSelectionMetric.LogLoss)]
    public void KeepBestWeights_FollowsTheSelectionMetric_AsMLNetsEvaluatorMeasuresIt(CnnSelectionMetric metric)
    {
        var ml = new MLContext(seed: 1);
        // Random colours and a 3:1 imbalance: shape alone decides, and accuracy and macro accuracy differ.
        var trainRows = Shapes.Generate(128, seed: 26, randomColours: true).Where((e, i) => e.Label != "bar" || i % 3 == 0).ToList();
        var validationRows = Shapes.Generate(64, seed: 27, randomColours: true).Where((e, i) => e.Label != "bar" || i % 3 == 0).ToList();
        var train = Pipelines.ImagesView(ml, trainRows);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        var options = Pipelines.FastOptions(epochs: 5);
        options = options with
        {
            Validation = options.Validation with { Data = keys.Transform(Pipelines.ImagesView(ml, validationRows)), SelectionMetric = metric },
        };

        using var trained = ml.MulticlassClassification.Trainers.Cnn(options).Fit(keys.Transform(train));
        var evaluated = ml.MulticlassClassification.Evaluate(trained.Transform(keys.Transform(Pipelines.ImagesView(ml, validationRows))));

        var history = trained.History;
        history.Should().OnlyContain(h => h.ValidationMacroAccuracy != null);
        switch (metric)
        {
            case CnnSelectionMetric.Accuracy:
                evaluated.MicroAccuracy.Should().BeApproximately(history.Max(h => h.ValidationAccuracy!.Value), 1e-6);
                break;
            case CnnSelectionMetric.MacroAccuracy:
                evaluated.MacroAccuracy.Should().BeApproximately(history.Max(h => h.ValidationMacroAccuracy!.Value), 1e-6);
                break;
            default:
                evaluated.LogLoss.Should().BeApproximately(history.Min(h => h.ValidationLoss!.Value), 1e-3);
                break;
        }
        history.Select(h => h.ValidationMacroAccuracy).Should().NotEqual(history.Select(h => h.ValidationAccuracy),
            "with unbalanced classes the two accuracies differ, so the macro check above could fail");
    }

    // Every augmentation, mixing and regularisation ingredient at once, on top of the fast recipe.
    private static CnnTrainerOptions EveryIngredient(int epochs)
    {
        var options = Pipelines.FastOptions(epochs, seed: 6);
        return options with
        {
            Augmentation = options.Augmentation with
            {
                ColorJitter = (0.3, 0.3, 0.3), RandomErasingProbability = 0.5, RandomAffine = (15, 0.1, 0.1), TrivialAugment = true,
            },
            Regularization = options.Regularization with { MixUpAlpha = 0.2, CutMixAlpha = 1.0, LabelSmoothing = 0.1, BalanceClasses = true },
            Optimizer = options.Optimizer with { GradientClipNorm = 5.0 },
        };
    }

    [Fact]
    public void EveryIngredientTogether_LearnsHeldOutShapes()
    {
        // Random colours, sizes and positions: only the shape tells the classes apart. Chance is 25%.
        var ml = new MLContext(seed: 1);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Pipelines.ImagesView(ml, Shapes.Generate(8, seed: 1)));
        using var trained = ml.MulticlassClassification.Trainers.Cnn(EveryIngredient(epochs: 12))
            .Fit(keys.Transform(Pipelines.ImagesView(ml, Shapes.Generate(320, seed: 23))));

        var heldOut = ml.MulticlassClassification.Evaluate(trained.Transform(keys.Transform(Pipelines.ImagesView(ml, Shapes.Generate(200, seed: 24)))));
        heldOut.MicroAccuracy.Should().BeGreaterThan(0.7, "with every ingredient on, the run still learns the shapes");
    }

    [Fact]
    public void EveryIngredientTogether_ASeedRepeatsTheRunExactly()
    {
        Dictionary<string, Tensor> Run()
        {
            var ml = new MLContext(seed: 1);
            var view = Pipelines.ImagesView(ml, Shapes.Generate(64, seed: 23));
            using var trained = ((IEnumerable<ITransformer>)Pipelines.Classifier(ml, EveryIngredient(epochs: 1)).Fit(view)).OfType<CnnClassifierTransformer>().Single();
            return trained.Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        }

        var first = Run();
        var second = Run();
        first.Should().OnlyContain(kv => kv.Value.eq(second[kv.Key]).all().item<bool>() && !kv.Value.isnan().any().item<bool>());
    }

    [Fact]
    public void BadRecipeOptions_AreRefusedTogether_BeforeTraining()
    {
        var options = new CnnTrainerOptions
        {
            Optimizer = new() { GradientClipNorm = 0 },
            Schedule = new() { BatchSize = 1 },
            Augmentation = new() { ColorJitter = (-0.1, 0, 2), RandomAffine = (200, 0, 1), RandomErasingProbability = 1.5 },
            Regularization = new() { MixUpAlpha = 0.2, MixProbability = -1, ClassWeights = [1, 0] },
        };
        FluentActions.Invoking(options.Validate).Should().Throw<ArgumentException>().WithMessage(
            "*Optimizer.GradientClipNorm must be greater than 0*" +
            "Augmentation.ColorJitter strengths must be 0 or more*ColorJitter strengths must be at most 1*RandomAffine needs Degrees in [0, 180]*got (200, 0, 1)*" +
            "RandomErasingProbability must be in [0, 1]*" +
            "Regularization.MixProbability must be in [0, 1]*ClassWeights must all be positive*BatchSize must be at least 2*");

        var ml = new MLContext(seed: 1);
        var view = Pipelines.ImagesView(ml, Shapes.Generate(16, seed: 22));
        var wrongLength = Pipelines.FastOptions(epochs: 1);
        wrongLength = wrongLength with { Regularization = wrongLength.Regularization with { ClassWeights = [1, 2, 3] } };
        FluentActions.Invoking(() => Pipelines.Classifier(ml, wrongLength).Fit(view)).Should().Throw<ArgumentException>()
            .WithMessage("Regularization.ClassWeights has 3 value(s); the label has 4 classes*");
    }
}

using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;

namespace MLNetCnn.Tests.Training;

/// <summary>Each bad input gives a clear error naming the column, row or file, and nothing is trained on garbage.</summary>
public class BadInputTests
{
    private static readonly List<ShapeExample> Examples = Shapes.Generate(64, seed: 9);

    private static CnnTrainerOptions Quick() { var o = Pipelines.FastOptions(epochs: 1); return o with { Schedule = o.Schedule with { BatchSize = 16 } }; }

    private static IDataView Keyed(MLContext ml, IDataView data)
        => ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);

    [Fact]
    public void Fit_MissingImageColumn_ListsTheColumns()
    {
        var ml = new MLContext(1);
        var options = Quick();
        options = options with { Columns = options.Columns with { Image = "Picture" } };

        var act = () => Pipelines.Classifier(ml, options).Fit(Pipelines.ImagesView(ml, Examples));

        act.Should().Throw<ArgumentException>().WithMessage("*image column 'Picture' is not in the data*'Label'*'Image'*");
    }

    [Fact]
    public void Fit_MissingLabelColumn_SaysSo()
    {
        var ml = new MLContext(1);
        var options = Quick();
        options = options with { Columns = options.Columns with { Label = "Class" } };

        var act = () => ml.MulticlassClassification.Trainers.Cnn(options).Fit(Pipelines.ImagesView(ml, Examples));

        act.Should().Throw<ArgumentException>().WithMessage("*label column 'Class' is not in the data*");
    }

    [Fact]
    public void Fit_LabelNotAKey_SaysToUseMapValueToKey()
    {
        var ml = new MLContext(1);

        var act = () => ml.MulticlassClassification.Trainers.Cnn(Quick()).Fit(Pipelines.ImagesView(ml, Examples));

        act.Should().Throw<ArgumentException>().WithMessage("*Label column 'Label' must be a key; found String*MapValueToKey(\"Label\")*");
    }

    [Fact]
    public void GetOutputSchema_LabelNotAKey_FailsBeforeTraining()
    {
        var ml = new MLContext(1);
        var shape = new SchemaShape(
        [
            MLNetCnn.Internal.MLNetInternals.NewColumn("Label", SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false, null),
            MLNetCnn.Internal.MLNetInternals.NewColumn("Image", SchemaShape.Column.VectorKind.Scalar, new Microsoft.ML.Transforms.Image.ImageDataViewType(), false, null),
        ]);

        var act = () => ml.MulticlassClassification.Trainers.Cnn(Quick()).GetOutputSchema(shape);

        act.Should().Throw<ArgumentException>().WithMessage("*must be a key*MapValueToKey*");
    }

    [Fact]
    public void Fit_ImageColumnOfAnotherType_NamesTypeAndFix()
    {
        var ml = new MLContext(1);
        var options = Quick();
        options = options with { Columns = options.Columns with { Image = "Label" } };
        var data = ml.Transforms.Conversion.MapValueToKey("Key", "Label").Fit(Pipelines.ImagesView(ml, Examples)).Transform(Pipelines.ImagesView(ml, Examples));
        options = options with { Columns = options.Columns with { Label = "Key" } };

        var act = () => ml.MulticlassClassification.Trainers.Cnn(options).Fit(data);

        act.Should().Throw<ArgumentException>().WithMessage("*Column 'Label' must be an image (MLImage, from LoadImages) or a vector of floats*found String*");
    }

    [Fact]
    public void Fit_VectorOfWrongLength_NamesExpectedAndFound()
    {
        var ml = new MLContext(1);
        var options = Quick();
        options = options with
        {
            Columns = options.Columns with { Image = "Pixels" },
            Input = options.Input with { VectorShape = (1, 28, 28) },
        };

        var act = () => ml.MulticlassClassification.Trainers.Cnn(options).Fit(Keyed(ml, Pipelines.VectorsView(ml, Examples)));

        act.Should().Throw<ArgumentException>().WithMessage("*Column 'Pixels' must be an image or a vector of 1*28*28 = 784 floats; found Vector<Single, 3072>*");
    }

    [Fact]
    public void Fit_VectorWithoutShape_AsksForVectorShape()
    {
        var ml = new MLContext(1);
        var options = Quick();
        options = options with { Columns = options.Columns with { Image = "Pixels" } };

        var act = () => ml.MulticlassClassification.Trainers.Cnn(options).Fit(Keyed(ml, Pipelines.VectorsView(ml, Examples)));

        act.Should().Throw<ArgumentException>().WithMessage("*set Input.VectorShape*");
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void Fit_NonFinitePixel_NamesRowIndexAndValue(float value, string shown)
    {
        var ml = new MLContext(1);
        var rows = Examples.Select(e => e.AsVector()).ToList();
        rows[5].Pixels[17] = value;
        var options = Quick();
        options = options with
        {
            Columns = options.Columns with { Image = "Pixels" },
            Input = options.Input with { VectorShape = (3, Shapes.Size, Shapes.Size) },
        };

        var act = () => ml.MulticlassClassification.Trainers.Cnn(options).Fit(Keyed(ml, ml.Data.LoadFromEnumerable(rows)));

        act.Should().Throw<InvalidDataException>().WithMessage($"*Row 5: column 'Pixels' holds {shown} at index 17. Replace missing or infinite pixels before training*. Fix or remove the row*")
            .Which.Message.Should().NotContain("..");
    }

    [Fact]
    public void Fit_CorruptImageFile_NamesTheFile_OrSkipsAndCountsIt()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(1);
        var rows = Shapes.SaveAsPng(Examples, folder.Path);
        File.WriteAllText(folder.File(rows[3].ImagePath), "not a png");
        var data = ml.Data.LoadFromEnumerable(rows);
        IEstimator<ITransformer> Pipeline(CnnTrainerOptions o) => ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoadImages("Image", folder.Path, "ImagePath"))
            .Append(ml.MulticlassClassification.Trainers.Cnn(o));

        var failing = () => Pipeline(Quick()).Fit(data);
        failing.Should().Throw<InvalidDataException>().WithMessage($"*Row 3*'Image'*{rows[3].ImagePath}*");

        var skipping = Quick();
        skipping = skipping with { Runtime = skipping.Runtime with { SkipUnreadableImages = true } };
        var messages = new List<string>();
        ml.Log += (_, e) => messages.Add(e.Message);
        var model = Pipeline(skipping).Fit(data);
        messages.Should().Contain(m => m.Contains("1 with an unreadable image were skipped"));
        var scored = ml.Data.CreateEnumerable<ScoredRow>(model.Transform(data), false).ToList();
        scored[3].Score.Should().OnlyContain(s => float.IsNaN(s), "an unreadable image has no score");
        scored[3].PredictedLabel.Should().Be(0u, "its predicted key is missing");
        scored[4].Score.Sum().Should().BeApproximately(1f, 1e-4f);
    }

    public sealed class ScoredRow
    {
        public float[] Score { get; set; } = [];
        [KeyType(4)]
        public uint PredictedLabel { get; set; }
    }

    [Fact]
    public void Fit_EmptyData_SaysThereAreNoRows()
    {
        var ml = new MLContext(1);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Pipelines.ImagesView(ml, Examples));
        var empty = keys.Transform(Pipelines.ImagesView(ml, []));

        var act = () => ml.MulticlassClassification.Trainers.Cnn(Quick()).Fit(empty);

        act.Should().Throw<ArgumentException>().WithMessage("*no usable rows*");
    }

    [Fact]
    public void Fit_OneClassOnly_SaysAtLeastTwoAreNeeded()
    {
        var ml = new MLContext(1);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Pipelines.ImagesView(ml, Examples));
        var oneClass = keys.Transform(Pipelines.ImagesView(ml, Examples.Where(e => e.Label == Shapes.Classes[0])));

        var act = () => ml.MulticlassClassification.Trainers.Cnn(Quick()).Fit(oneClass);

        act.Should().Throw<ArgumentException>().WithMessage("*only one class (key 1 of 4)*at least two*");
    }

    [Fact]
    public void Fit_PretrainedModelWithOtherChannels_IsRefused()
    {
        var ml = new MLContext(1);
        var options = Quick();
        options = options with
        {
            Columns = options.Columns with { Image = "Pixels" },
            Input = options.Input with { VectorShape = (3, Shapes.Size, Shapes.Size) },
            Model = options.Model with { Instance = CnnZoo.Create("resnet20", numClasses: 4, inChannels: 1) },
        };

        var act = () => ml.MulticlassClassification.Trainers.Cnn(options).Fit(Keyed(ml, Pipelines.VectorsView(ml, Examples)));

        act.Should().Throw<ArgumentException>().WithMessage("*takes 1-channel input but the vectors have 3 channel(s)*Channels = 1*");
        options = options with { Input = options.Input with { Channels = 3 } };
        FluentActions.Invoking(() => ml.MulticlassClassification.Trainers.Cnn(options).Fit(Keyed(ml, Pipelines.VectorsView(ml, Examples))))
            .Should().Throw<ArgumentException>().WithMessage("*takes 1-channel input but Input.Channels is 3*");
    }

    [Fact]
    public void Fit_BatchLargerThanData_Trains()
    {
        var ml = new MLContext(1);
        var options = Quick();
        options = options with { Schedule = options.Schedule with { BatchSize = 1000 } };

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(Keyed(ml, Pipelines.ImagesView(ml, Examples)));

        model.History.Should().ContainSingle().Which.TrainLoss.Should().BeGreaterThan(0);
    }

    [Fact]
    public void Options_SeveralInvalid_AreAllReportedAtOnce()
    {
        var ml = new MLContext(1);
        var options = new CnnTrainerOptions
        {
            Optimizer = new() { LearningRate = 0 },
            Schedule = new() { Epochs = 0, BatchSize = -1 },
            Validation = new() { EarlyStoppingPatience = 2 },
            Runtime = new() { Device = "tpu" },
        };

        var act = () => ml.MulticlassClassification.Trainers.Cnn(options);

        act.Should().Throw<ArgumentException>().WithMessage(
            "*Optimizer.LearningRate must be greater than 0*Schedule.Epochs must be at least 1; got 0*Schedule.BatchSize must be at least 1; got -1*" +
            "EarlyStoppingPatience needs validation*Runtime.Device: Device must be*'tpu'*");
    }

    [Fact]
    public void Fit_UnknownArchitecture_ListsTheZoo()
    {
        var ml = new MLContext(1);
        var options = Quick();
        options = options with { Model = options.Model with { Architecture = "resnet9000" } };

        FluentActions.Invoking(() => ml.MulticlassClassification.Trainers.Cnn(options).Fit(Keyed(ml, Pipelines.ImagesView(ml, Examples))))
            .Should().Throw<ArgumentException>().WithMessage("*Unknown architecture 'resnet9000'*resnet20*");
    }

    [Fact]
    public void Fit_ImageSizeBelowTheNetworksMinimum_SaysWhichSizeWorks()
    {
        var ml = new MLContext(1);
        var options = Quick();
        options = options with
        {
            Model = options.Model with { Architecture = "alexnet" },
            Input = options.Input with { ImageSize = 32 },
        };

        FluentActions.Invoking(() => ml.MulticlassClassification.Trainers.Cnn(options).Fit(Keyed(ml, Pipelines.ImagesView(ml, Examples))))
            .Should().Throw<ArgumentException>().WithMessage("*alexnet needs input of at least 63x63*ImageSize*");
    }
}

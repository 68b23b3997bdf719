using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Internal;

namespace MLNetCnn.Tests.Internal;

/// <summary>The ML.NET internals we reach still exist with the shapes we bind to (a failure here means an ML.NET upgrade moved them).</summary>
public class MLNetInternalsTests
{
    [Fact]
    public void NewColumn_BuildsASchemaShapeColumn()
    {
        var column = MLNetInternals.NewColumn("Score", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, null);

        column.Name.Should().Be("Score");
        column.Kind.Should().Be(SchemaShape.Column.VectorKind.Vector);
        column.ItemType.Should().Be(NumberDataViewType.Single);
        column.IsKey.Should().BeFalse();
    }

    [Fact]
    public void EnvironmentOf_IsTheContextsEnvironment_ItsMessagesReachTheContextLog()
    {
        var ml = new MLContext(seed: 3);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };

        foreach (var environment in new[] { MLNetInternals.EnvironmentOf(ml.MulticlassClassification.Trainers), MLNetInternals.EnvironmentOf(ml.Transforms) })
        {
            using var channel = environment.Register("probe").Start("probe");
            channel.Info(Microsoft.ML.Runtime.MessageSensitivity.None, "hello from " + environment.GetHashCode());
        }

        messages.Should().Contain(m => m.Contains("hello from")).And.HaveCountGreaterThanOrEqualTo(2);
    }

    [Fact]
    public void ImageOperations_AreTheOnesOfResizeImagesAndConvertToGrayscale()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(5);
        var pixels = new byte[4 * 37 * 23];
        random.NextBytes(pixels);
        using var image = MLImage.CreateFromPixels(37, 23, MLPixelFormat.Rgba32, pixels);
        var view = ml.Data.LoadFromEnumerable(new[] { new ImageRow { Image = image } });
        var chain = ml.Transforms.ResizeImages("Resized", 16, 12, "Image", Microsoft.ML.Transforms.Image.ImageResizingEstimator.ResizingKind.Fill)
            .Append(ml.Transforms.ConvertToGrayscale("Grey", "Resized"));
        var row = ml.Data.CreateEnumerable<GreyRow>(chain.Fit(view).Transform(view), false).Single();

        using var resized = MLNetInternals.ImageOf(MLNetInternals.ResizeFill(image, 16, 12));
        using var grey = MLNetInternals.Grayscale(resized);

        (resized.Width, resized.Height).Should().Be((16, 12));
        resized.Pixels.ToArray().Should().Equal(row.Resized.Pixels.ToArray());
        grey.Pixels.ToArray().Should().Equal(row.Grey.Pixels.ToArray());
    }

    public sealed class ImageRow
    {
        [Microsoft.ML.Transforms.Image.ImageType(23, 37)]
        public MLImage Image { get; set; } = null!;
    }

    public sealed class GreyRow
    {
        [Microsoft.ML.Transforms.Image.ImageType(12, 16)]
        public MLImage Resized { get; set; } = null!;

        [Microsoft.ML.Transforms.Image.ImageType(12, 16)]
        public MLImage Grey { get; set; } = null!;
    }
}

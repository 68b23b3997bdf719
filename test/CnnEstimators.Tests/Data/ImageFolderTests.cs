using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Tests.Support;

namespace MLNetCnn.Tests.Data;

public class ImageFolderTests
{
    [Fact]
    public void Load_FolderPerClass_TrainsThroughLoadImages()
    {
        using var folder = new TempFolder();
        foreach (var example in Shapes.Generate(64, seed: 81))
        {
            var classFolder = Path.Combine(folder.Path, example.Label);
            Directory.CreateDirectory(classFolder);
            using var image = example.AsImage().Image;
            image.Save(Path.Combine(classFolder, $"{Guid.NewGuid():N}.png"));
        }
        var ml = new MLContext(seed: 1);

        var data = ImageFolder.Load(ml, folder.Path);
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoadImages("Image", imageFolder: "", "ImagePath"))
            .Append(ml.MulticlassClassification.Trainers.Cnn(Pipelines.FastOptions(epochs: 1)))
            .Fit(data);

        ImageFolder.Read(folder.Path).Select(r => r.Label).Distinct().Should().BeEquivalentTo(Shapes.Classes);
        ml.MulticlassClassification.Evaluate(model.Transform(data)).ConfusionMatrix.NumberOfClasses.Should().Be(4);
    }

    [Fact]
    public void Read_BadLayouts_SayWhatIsWrongAndHowToFixIt()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("loose.png"), [1]);
        FluentActions.Invoking(() => ImageFolder.Read(folder.Path)).Should().Throw<InvalidDataException>().WithMessage("*no sub-folders (1 images lie directly in it)*root/cat/1.jpg*");

        Directory.CreateDirectory(folder.File("cat"));
        File.WriteAllBytes(Path.Combine(folder.File("cat"), "a.png"), [1]);
        FluentActions.Invoking(() => ImageFolder.Read(folder.Path)).Should().Throw<InvalidDataException>().WithMessage("*one class folder ('cat')*");

        Directory.CreateDirectory(folder.File("dog"));
        FluentActions.Invoking(() => ImageFolder.Read(folder.Path)).Should().Throw<InvalidDataException>().WithMessage("*'dog'*hold no images*");

        FluentActions.Invoking(() => ImageFolder.Read(folder.File("nope"))).Should().Throw<DirectoryNotFoundException>().WithMessage("*nope*");
    }
}

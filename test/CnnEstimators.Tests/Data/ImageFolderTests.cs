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
    public void Read_ALinkBackUpTheTree_IsNotFollowed_AndImagesKeepTheirClass()
    {
        using var folder = new TempFolder();
        foreach (var label in new[] { "a", "b" })
        {
            Directory.CreateDirectory(folder.File(label));
            for (var i = 0; i < 3; i++)
                File.WriteAllBytes(Path.Combine(folder.File(label), $"{i}.png"), [1, 2, 3]);
        }
        Directory.CreateSymbolicLink(Path.Combine(folder.File("a"), "loop"), "..");
        File.CreateSymbolicLink(Path.Combine(folder.File("a"), "linked.png"), Path.Combine(folder.File("b"), "0.png"));

        var rows = ImageFolder.Read(folder.Path);

        rows.Select(r => (r.Label, Path.GetFileName(r.ImagePath))).Should().Equal(
            ("a", "0.png"), ("a", "1.png"), ("a", "2.png"), ("a", "linked.png"), ("b", "0.png"), ("b", "1.png"), ("b", "2.png"));
    }

    [Fact]
    public async Task Read_AFifoNamedLikeAnImage_IsRefusedWithoutOpeningIt()
    {
        using var folder = new TempFolder();
        foreach (var label in new[] { "a", "b" })
        {
            Directory.CreateDirectory(folder.File(label));
            File.WriteAllBytes(Path.Combine(folder.File(label), "0.png"), [1, 2, 3]);
        }
        var fifo = Path.Combine(folder.File("b"), "fifo.png");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
            mkfifo.WaitForExit();

        // Opening a FIFO blocks until a writer comes: a reader that opened it would never return.
        var read = Task.Run(() => ImageFolder.Read(folder.Path));
        var finished = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(30)));
        if (finished != read)
            System.Diagnostics.Process.Start("sh", ["-c", $"echo > '{fifo}'"]);   // a writer releases the blocked reader, so the test run can end
        finished.Should().BeSameAs(read, "the FIFO is refused before it is opened");
        await FluentActions.Awaiting(() => read).Should().ThrowAsync<InvalidDataException>()
            .WithMessage($"*'{fifo}' has no bytes*not a regular file (a FIFO, socket or device)*");
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

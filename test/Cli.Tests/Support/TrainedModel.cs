namespace MLNetCnn.Cli.Tests.Support;

/// <summary>One small model trained by <c>mlnetcnn train</c> on generated shapes, shared by the tests of a class.</summary>
public sealed class TrainedModel : IDisposable
{
    public TrainedModel()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Folder)!);
        Result = Tool.Run("train", "--images", Images.Path, "--arch", "resnet20", "--size", "32", "--epochs", "3", "--batch-size", "16",
            "--out", Folder);
    }

    public ShapeFolder Images { get; } = new(perClass: 30, seed: 11);

    public string Folder => Path.Combine(Images.Path + "-out", "model");

    public CliResult Result { get; }

    public void Dispose()
    {
        Images.Dispose();
        if (Directory.Exists(Images.Path + "-out"))
            Directory.Delete(Images.Path + "-out", recursive: true);
    }
}

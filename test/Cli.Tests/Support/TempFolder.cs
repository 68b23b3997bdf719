namespace MLNetCnn.Cli.Tests.Support;

/// <summary>An empty temporary folder for a test's outputs, deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("mlnetcnn-cli-out-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

namespace MLNetCnn.Zoo.Tests.Support;

/// <summary>A file path in the temp folder, deleted on dispose.</summary>
public sealed class TempFile(string extension) : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mlnetcnn-{Guid.NewGuid():N}{extension}");

    public void Dispose()
    {
        if (File.Exists(Path))
            File.Delete(Path);
    }
}

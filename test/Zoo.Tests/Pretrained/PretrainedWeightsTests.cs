using System.Security.Cryptography;
using FluentAssertions;
using MLNetCnn.Zoo.Tests.Support;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo.Tests.Pretrained;

/// <summary>Tests that set the weights cache folder, the URL base or offline mode (process-wide) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WeightsCacheSettings
{
    public const string Name = "Weights cache settings";
}

/// <summary>
/// Weights by name, fetched from a loopback server the test starts (never the internet): a good file, a wrong hash, a body
/// cut short, a 404, a slow server cancelled, a corrupt cached copy, offline mode, two fetches at once.
/// </summary>
[Collection(WeightsCacheSettings.Name)]
public sealed class PretrainedWeightsTests : IDisposable
{
    private static int serial;
    private readonly string home = Directory.CreateTempSubdirectory("mlnetcnn-home-").FullName;
    private readonly string? previousHome = Environment.GetEnvironmentVariable("MLNETCNN_HOME");
    private readonly Uri previousBase = CnnZoo.WeightsBaseUrl;
    private readonly WeightsServer server = new();
    private readonly string name = $"TEST{Interlocked.Increment(ref serial)}_{Guid.NewGuid():N}"[..20];

    public PretrainedWeightsTests()
    {
        Environment.SetEnvironmentVariable("MLNETCNN_HOME", home);
        Environment.SetEnvironmentVariable("MLNETCNN_OFFLINE", null);
        CnnZoo.WeightsBaseUrl = server.BaseUrl;
    }

    public void Dispose()
    {
        CnnZoo.WeightsBaseUrl = previousBase;
        Environment.SetEnvironmentVariable("MLNETCNN_HOME", previousHome);
        Environment.SetEnvironmentVariable("MLNETCNN_OFFLINE", null);
        server.Dispose();
        Directory.Delete(home, recursive: true);
    }

    private string CacheFolder => Path.Combine(home, "weights");

    /// <summary>
    /// A resnet20 (10 classes) saved as a PyTorch .pth, served under a torchvision-style name, and registered with the first 8 digits
    /// of its SHA-256 (as torchvision names files), or with what <paramref name="registeredHash"/> makes of its whole digest.
    /// </summary>
    private (CnnModel Source, PretrainedWeights Entry) ServeResNet20(Func<string, string>? registeredHash = null)
    {
        manual_seed(11);
        var source = CnnZoo.Create("resnet20", numClasses: 10);
        using var file = new TempFile(".pth");
        source.SaveWeights(file.Path);
        var bytes = File.ReadAllBytes(file.Path);
        var digest = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var fileName = $"resnet20-{name.ToLowerInvariant()}-{digest[..8]}.pth";
        server.Add(fileName, bytes);
        var entry = new PretrainedWeights("resnet20", name, fileName, registeredHash?.Invoke(digest) ?? digest[..8], ResizeSize: 36, PixelNormalization.ImageNet(32),
            Enumerable.Range(0, 10).Select(i => $"class{i}").ToList(), Top1: 91.25, Top5: null, Parameters: 269_722);
        CnnZoo.RegisterWeights(entry);
        return (source, entry);
    }

    [Fact]
    public void Create_WithWeights_LoadsTheServedFile_AttachesItsPreprocessing_AndReusesTheCache()
    {
        var (source, entry) = ServeResNet20();

        using var model = CnnZoo.Create("resnet20", numClasses: 10, weights: name);

        foreach (var (key, value) in source.state_dict())
            model.state_dict()[key].eq(value).all().item<bool>().Should().BeTrue(key);
        model.DefaultNormalization.Should().Be(entry.Normalization);
        model.PretrainedWeights.Should().Be(entry);
        File.Exists(Path.Combine(CacheFolder, entry.FileName)).Should().BeTrue();
        Directory.GetFiles(CacheFolder).Should().HaveCount(1, "no temporary file is left");
        server.Requests.Should().Be(1);

        using var again = CnnZoo.Create("resnet20", numClasses: 10, weights: name);
        server.Requests.Should().Be(1, "a cached file whose hash matches is used without asking the server");
    }

    [Fact]
    public void Create_WithAnotherClassCount_ResetsTheHead_AndKeepsTheBackbone()
    {
        var (source, _) = ServeResNet20();

        using var model = CnnZoo.Create("resnet20", numClasses: 4, weights: name);

        model.NumClasses.Should().Be(4);
        model.state_dict()["fc.weight"].shape.Should().Equal([4, 64]);
        model.state_dict()["layer3.2.conv2.weight"].eq(source.state_dict()["layer3.2.conv2.weight"]).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void WrongHash_IsRefusedWithTheUrl_AndCachesNothing()
    {
        ServeResNet20(_ => "00000000");
        FluentActions.Invoking(() => CnnZoo.Create("resnet20", numClasses: 10, weights: name)).Should().Throw<InvalidDataException>()
            .WithMessage($"*{server.BaseUrl}*does not match the SHA-256 00000000*nothing was cached*");
        Directory.GetFiles(CacheFolder).Should().BeEmpty();
    }

    [Fact]
    public void FullDigest_IsComparedInFull_AFileThatSharesItsFirstDigitsIsRefused()
    {
        // What a hostile mirror can make with about a core-hour of hashing: a file whose digest begins as the name says, and goes on otherwise.
        var (_, entry) = ServeResNet20(digest => digest[..^1] + (digest[^1] == '0' ? '1' : '0'));

        entry.HashIsPinnedInFull.Should().BeTrue();
        FluentActions.Invoking(() => CnnZoo.Create("resnet20", numClasses: 10, weights: name)).Should().Throw<InvalidDataException>()
            .WithMessage($"*does not match the SHA-256 {entry.Sha256}*nothing was cached*");
        Directory.GetFiles(CacheFolder).Should().BeEmpty();
    }

    [Fact]
    public async Task FullDigest_Matching_IsFetched_WithoutThePrefixWarning()
    {
        var (_, entry) = ServeResNet20(digest => digest);
        var messages = new List<string>();

        var path = await CnnZoo.FetchWeightsAsync("resnet20", name, new SynchronousProgress<WeightsDownloadProgress>(p =>
        {
            if (p.Message is not null) messages.Add(p.Message);
        }));

        Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path))).Should().Be(entry.Sha256);
        messages.Should().NotContain(m => m.Contains("only the first", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PrefixOnly_IsChecked_AndTheFetchSaysThatOnlyThePrefixWas()
    {
        var (_, entry) = ServeResNet20();
        var messages = new List<string>();

        await CnnZoo.FetchWeightsAsync("resnet20", name, new SynchronousProgress<WeightsDownloadProgress>(p =>
        {
            if (p.Message is not null) messages.Add(p.Message);
        }));

        entry.HashIsPinnedInFull.Should().BeFalse();
        messages.Should().Contain(m => m.Contains("only the first 8 hex digits of its SHA-256 are known", StringComparison.Ordinal)
                                       && m.Contains("CnnZoo.RegisterWeights", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0123abc")]
    [InlineData("0123abcz")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0")]
    public void RegisterWeights_RefusesADigestThatIsNot8To64HexDigits(string sha256)
    {
        FluentActions.Invoking(() => CnnZoo.RegisterWeights(new PretrainedWeights("resnet20", name, "resnet20-x.pth", sha256, 36, PixelNormalization.ImageNet(32),
                Enumerable.Range(0, 10).Select(i => $"class{i}").ToList(), Top1: null, Top5: null, Parameters: 269_722)))
            .Should().Throw<ArgumentException>().WithMessage($"*'{sha256}'*8 to 64 hex digits*");
    }

    [Fact]
    public void TruncatedBody_IsRefused_AndCachesNothing()
    {
        var (_, entry) = ServeResNet20();
        server.Mode = WeightsServer.Behaviour.CutShort;
        FluentActions.Invoking(() => CnnZoo.Create("resnet20", numClasses: 10, weights: name)).Should().Throw<IOException>()
            .WithMessage($"*{entry.FileName}*");
        Directory.GetFiles(CacheFolder).Should().BeEmpty();
    }

    [Fact]
    public void MissingFile_404_SaysWhereToPutTheFileByHand()
    {
        CnnZoo.RegisterWeights(new PretrainedWeights("resnet20", name, "resnet20-absent-0123abcd.pth", "0123abcd", 36, PixelNormalization.ImageNet(32),
            ["a", "b"], null, null, 269_722));
        FluentActions.Invoking(() => CnnZoo.Create("resnet20", numClasses: 2, weights: name)).Should().Throw<IOException>()
            .WithMessage($"*HTTP 404*{Path.Combine(CacheFolder, "resnet20-absent-0123abcd.pth")}*");
    }

    [Fact]
    public async Task SlowServer_IsCancelled_AndLeavesNoTemporaryFile()
    {
        ServeResNet20();
        server.Mode = WeightsServer.Behaviour.Trickle;
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(400));

        await FluentActions.Awaiting(() => CnnZoo.FetchWeightsAsync("resnet20", name, cancellation: cancellation.Token))
            .Should().ThrowAsync<OperationCanceledException>();

        Directory.GetFiles(CacheFolder).Should().BeEmpty();
    }

    [Fact]
    public async Task CorruptCachedFile_IsReported_AndFetchedAgain()
    {
        var (_, entry) = ServeResNet20();
        Directory.CreateDirectory(CacheFolder);
        await File.WriteAllTextAsync(Path.Combine(CacheFolder, entry.FileName), "a truncated download from long ago");
        var messages = new List<string>();

        var path = await CnnZoo.FetchWeightsAsync("resnet20", name, new SynchronousProgress<WeightsDownloadProgress>(p =>
        {
            if (p.Message is not null) messages.Add(p.Message);
        }));

        messages.Should().Contain(m => m.Contains($"does not match its SHA-256 {entry.Sha256}", StringComparison.Ordinal) && m.Contains(entry.FileName, StringComparison.Ordinal));
        Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path))).Should().StartWith(entry.Sha256);
        server.Requests.Should().Be(1);
    }

    [Fact]
    public void Offline_FailsAtOnce_WithTheUrlAndThePathForTheFile()
    {
        var (_, entry) = ServeResNet20();
        Environment.SetEnvironmentVariable("MLNETCNN_OFFLINE", "1");

        FluentActions.Invoking(() => CnnZoo.Create("resnet20", numClasses: 10, weights: name)).Should().Throw<IOException>()
            .WithMessage($"*MLNETCNN_OFFLINE*{entry.Url}*{Path.Combine(CacheFolder, entry.FileName)}*");
        server.Requests.Should().Be(0);
    }

    [Fact]
    public async Task TwoFetchesAtOnce_BothGetTheCheckedFile()
    {
        var (_, entry) = ServeResNet20();

        var paths = await Task.WhenAll(CnnZoo.FetchWeightsAsync("resnet20", name), CnnZoo.FetchWeightsAsync("resnet20", name));

        paths.Should().AllBe(Path.Combine(CacheFolder, entry.FileName));
        Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(paths[0]))).Should().StartWith(entry.Sha256);
        Directory.GetFiles(CacheFolder).Should().HaveCount(1);
    }

    [Fact]
    public void RedirectToAnotherHost_IsRefused_AndCachesNothing()
    {
        var (_, entry) = ServeResNet20();
        var elsewhere = new UriBuilder(server.BaseUrl) { Host = "localhost" }.Uri;   // the same server under another name: another host to the client
        server.Redirect(entry.FileName, new Uri(elsewhere, entry.FileName).AbsoluteUri);

        FluentActions.Invoking(() => CnnZoo.Create("resnet20", numClasses: 10, weights: name)).Should().Throw<IOException>()
            .WithMessage($"*redirected to {elsewhere}*another host; refused, nothing was cached*WeightsBaseUrl*");
        Directory.GetFiles(CacheFolder).Should().BeEmpty();
        server.Requests.Should().Be(1, "the other host was not asked");
    }

    [Fact]
    public async Task RedirectWithinTheHost_IsFollowed_AndALoopIsRefused()
    {
        var (source, entry) = ServeResNet20();
        var bytes = await File.ReadAllBytesAsync(await CnnZoo.FetchWeightsAsync("resnet20", name));
        File.Delete(Path.Combine(CacheFolder, entry.FileName));
        server.Add("moved.pth", bytes);
        server.Redirect(entry.FileName, "/models/moved.pth");

        using var model = CnnZoo.Create("resnet20", numClasses: 10, weights: name);
        model.state_dict()["fc.weight"].eq(source.state_dict()["fc.weight"]).all().item<bool>().Should().BeTrue();

        File.Delete(Path.Combine(CacheFolder, entry.FileName));
        server.Redirect("moved.pth", "/models/" + entry.FileName);
        FluentActions.Invoking(() => CnnZoo.Create("resnet20", numClasses: 10, weights: name)).Should().Throw<IOException>()
            .WithMessage("*more than 5 redirects*");
    }

    [Fact]
    public void EndlessBody_IsCutAtWhatTheFileCanNeed_AndCachesNothing()
    {
        var (_, entry) = ServeResNet20();
        server.Mode = WeightsServer.Behaviour.Endless;

        FluentActions.Invoking(() => CnnZoo.Create("resnet20", numClasses: 10, weights: name)).Should().Throw<IOException>()
            .WithMessage($"*{entry.FileName}*sent more than such a file can need*269,722 parameters*nothing was cached*");
        Directory.GetFiles(CacheFolder).Should().BeEmpty();
    }

    [Fact]
    public void ServerThatGoesQuiet_FailsAfterTheIdleTimeout()
    {
        ServeResNet20();
        server.Mode = WeightsServer.Behaviour.Silent;
        var previous = CnnZoo.WeightsDownloadIdleTimeout;
        CnnZoo.WeightsDownloadIdleTimeout = TimeSpan.FromSeconds(1);
        try
        {
            FluentActions.Invoking(() => CnnZoo.Create("resnet20", numClasses: 10, weights: name)).Should().Throw<IOException>()
                .WithMessage("*no data for 1 s (CnnZoo.WeightsDownloadIdleTimeout); nothing was cached*");
            Directory.GetFiles(CacheFolder).Should().BeEmpty();
        }
        finally
        {
            CnnZoo.WeightsDownloadIdleTimeout = previous;
        }
    }

    [Fact]
    public async Task TemporaryFileOfADeadDownload_IsRemovedByTheNext()
    {
        var (_, entry) = ServeResNet20();
        Directory.CreateDirectory(CacheFolder);
        var dead = Enumerable.Range(0, 1000).Select(i => 4_000_000 - i).First(pid => !Directory.Exists($"/proc/{pid}"));
        var left = Path.Combine(CacheFolder, $".{entry.FileName}.{dead}-0123456789abcdef.download");
        await File.WriteAllTextAsync(left, "half a file, its process killed");

        await CnnZoo.FetchWeightsAsync("resnet20", name);

        File.Exists(left).Should().BeFalse();
        Directory.GetFiles(CacheFolder).Should().Equal(Path.Combine(CacheFolder, entry.FileName));
    }

    [Fact]
    public void WeightsBaseUrl_OtherThanHttp_IsRefused()
    {
        FluentActions.Invoking(() => CnnZoo.WeightsBaseUrl = new Uri("file:///etc/")).Should().Throw<ArgumentException>()
            .WithMessage("*must be an absolute http or https URL; got 'file:///etc/'*");
        CnnZoo.WeightsBaseUrl.Should().Be(server.BaseUrl, "a refused value changes nothing");
    }

    [Fact]
    public void UnknownWeights_ListThoseThatExist_AndNameTheArchitecturesThatHaveThem()
    {
        FluentActions.Invoking(() => CnnZoo.Create("resnet18", weights: "IMAGENET1K_V2")).Should().Throw<ArgumentException>()
            .WithMessage("resnet18 has no weights 'IMAGENET1K_V2'. Its weights: IMAGENET1K_V1. 'IMAGENET1K_V2' exists for resnet50, resnet101, resnet152.*");
        FluentActions.Invoking(() => CnnZoo.Create("resnet18", inChannels: 1, weights: "IMAGENET1K_V1")).Should().Throw<ArgumentException>()
            .WithMessage("*takes 3-channel images, not 1*");
        FluentActions.Invoking(() => CnnZoo.Create("plain20", weights: "IMAGENET1K_V1")).Should().Throw<ArgumentException>()
            .WithMessage("*No weights are known for plain20*");
    }
}

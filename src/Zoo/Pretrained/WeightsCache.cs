using System.Security.Cryptography;

namespace MLNetCnn.Zoo;

/// <summary>
/// Fetches weights files into MLNetCnn's cache and hands back their path. A file is streamed to a temporary file beside its
/// place in the cache (unique to this fetch, so two processes fetching the same file never write the same temporary file),
/// its SHA-256 checked against the catalogue's (the whole digest, or the prefix where only that is known), and only then renamed into place; a cached file is checked the same
/// way before use, and a corrupt one is reported and fetched again. Offline (<c>MLNETCNN_OFFLINE=1</c>) a missing file fails
/// at once, saying where to put it.
/// </summary>
internal static class WeightsCache
{
    // A big file on a slow line must not time out as a whole (the idle timeout catches a server that stops sending); redirects are
    // followed here, by rule, not by the handler.
    private static readonly HttpClient Http = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };

    private const int MaxRedirects = 5;

    /// <summary>Where weights go: <c>weights/</c> under <see cref="CnnZoo.CacheFolder"/>.</summary>
    public static string Folder => Path.Combine(WeightsLocation.CacheFolder, "weights");

    /// <summary>True when <c>MLNETCNN_OFFLINE</c> is 1 or true: nothing is downloaded.</summary>
    public static bool Offline => Environment.GetEnvironmentVariable("MLNETCNN_OFFLINE") is "1" or "true" or "TRUE";

    /// <summary>The checked file of <paramref name="weights"/> in the cache, downloaded when it is not there.</summary>
    /// <exception cref="IOException">The download failed (no network, an HTTP error, a truncated body) or the cache folder cannot be written;
    /// the message names the URL and the path where the file can be put by hand.</exception>
    /// <exception cref="InvalidDataException">The downloaded file's hash is not the catalogue's.</exception>
    public static async Task<string> FetchAsync(PretrainedWeights weights, IProgress<WeightsDownloadProgress>? progress, CancellationToken cancellation)
    {
        var url = weights.Url!;
        var path = Path.Combine(Folder, weights.FileName);
        if (File.Exists(path))
        {
            if (await HashMatchesAsync(path, weights.Sha256, cancellation))
            {
                progress?.Report(new WeightsDownloadProgress(weights, 0, null, $"{weights}: from the cache, {path}"));
                return path;
            }
            progress?.Report(new WeightsDownloadProgress(weights, 0, null,
                $"{weights}: the cached file {path} does not match its SHA-256 {weights.Sha256} (corrupt or cut short); fetching it again"));
        }
        if (Offline)
            throw new IOException($"{weights} is not in the cache and MLNETCNN_OFFLINE is set. Download {url} and put it at {path}.");
        try
        {
            Directory.CreateDirectory(Folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot create the weights cache folder {Folder} ({e.Message}). Set MLNETCNN_HOME to a writable folder.", e);
        }
        RemoveAbandonedDownloads(weights.FileName);
        var temporary = Path.Combine(Folder, $".{weights.FileName}.{Environment.ProcessId}-{Guid.NewGuid():N}.download");
        try
        {
            await DownloadAsync(weights, url, temporary, progress, cancellation);
            if (!await HashMatchesAsync(temporary, weights.Sha256, cancellation))
                throw new InvalidDataException(
                    $"The file downloaded from {url} does not match the SHA-256 {weights.Sha256} of {weights}; nothing was cached. " +
                    "Try again, or download it by hand, check it and put it at " + path + ".");
            if (!weights.HashIsPinnedInFull)
                progress?.Report(new WeightsDownloadProgress(weights, 0, null,
                    $"{weights}: only the first {weights.Sha256.Length} hex digits of its SHA-256 are known, and only those were checked; to check the whole " +
                    "file, register it with its full digest (CnnZoo.RegisterWeights) under another name"));
            File.Move(temporary, path, overwrite: true);   // another process may have put the same checked file there first: same bytes
            progress?.Report(new WeightsDownloadProgress(weights, new FileInfo(path).Length, new FileInfo(path).Length, $"{weights}: saved to {path}"));
            return path;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// The most bytes a weights file may have: ten bytes per parameter (float32 weights are four; files also hold batch-norm statistics,
    /// auxiliary heads the network leaves out and the pickle's framing) plus 4 MiB. A server that sends more is refused.
    /// </summary>
    internal static long MaxFileBytes(PretrainedWeights weights) => 10 * Math.Max(weights.Parameters, 0) + (4L << 20);

    private static async Task DownloadAsync(PretrainedWeights weights, Uri url, string temporary, IProgress<WeightsDownloadProgress>? progress, CancellationToken cancellation)
    {
        var limit = MaxFileBytes(weights);
        var idle = WeightsLocation.DownloadIdleTimeout;
        try
        {
            using var response = await GetFollowingRedirectsAsync(weights, url, idle, cancellation);
            if (!response.IsSuccessStatusCode)
                throw new IOException($"Downloading {weights} from {url} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}. " +
                                      $"Download it by hand and put it at {Path.Combine(Folder, weights.FileName)}, or set CnnZoo.WeightsBaseUrl to a mirror.");
            var total = response.Content.Headers.ContentLength;
            if (total > limit)
                throw new IOException($"Downloading {weights} from {url}: the server announces {total:N0} bytes, more than such a file can need ({limit:N0} for " +
                                      $"{weights.Parameters:N0} parameters); refused, nothing was cached.");
            await using var source = await response.Content.ReadAsStreamAsync(cancellation);
            await using var target = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            var buffer = new byte[1 << 16];
            long received = 0, reported = 0;
            int read;
            while ((read = await ReadWithinAsync(source, buffer, idle, weights, url, cancellation)) > 0)
            {
                received += read;
                if (received > limit)
                    throw new IOException($"Downloading {weights} from {url}: the server sent more than such a file can need ({limit:N0} bytes for " +
                                          $"{weights.Parameters:N0} parameters); refused, nothing was cached.");
                await target.WriteAsync(buffer.AsMemory(0, read), cancellation);
                if (received - reported >= 1 << 20 || received == total)
                {
                    progress?.Report(new WeightsDownloadProgress(weights, received, total, null));
                    reported = received;
                }
            }
            if (total is long expected && received != expected)
                throw new IOException($"Downloading {weights} from {url} stopped after {received:N0} of {expected:N0} bytes; nothing was cached. Try again.");
        }
        catch (Exception e) when (e is HttpRequestException or HttpIOException)
        {
            throw new IOException($"Downloading {weights} from {url} failed ({e.Message}). Without network, download it elsewhere and put it at " +
                                  $"{Path.Combine(Folder, weights.FileName)}; MLNETCNN_OFFLINE=1 makes this fail at once.", e);
        }
    }

    // Redirects stay on the host asked (a mirror that moves files within itself) and never go from https to http; anywhere else
    // would let one answer send the download to a host nobody chose.
    private static async Task<HttpResponseMessage> GetFollowingRedirectsAsync(PretrainedWeights weights, Uri url, TimeSpan idle, CancellationToken cancellation)
    {
        var current = url;
        for (var hop = 0; ; hop++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(idle);
            HttpResponseMessage response;
            try
            {
                response = await Http.GetAsync(current, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                throw new IOException($"Downloading {weights} from {current}: no answer in {idle.TotalSeconds:0.#} s (CnnZoo.WeightsDownloadIdleTimeout); nothing was cached.");
            }
            if ((int)response.StatusCode is < 300 or > 399 || response.Headers.Location is null)
                return response;
            var next = response.Headers.Location.IsAbsoluteUri ? response.Headers.Location : new Uri(current, response.Headers.Location);
            response.Dispose();
            // The same host, on its port or upgraded to https (whose port differs).
            var sameHost = string.Equals(next.Host, url.Host, StringComparison.OrdinalIgnoreCase) && (next.Port == url.Port || next.Scheme == Uri.UriSchemeHttps);
            var downgrade = current.Scheme == Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttps;
            if (!sameHost || downgrade || next.Scheme is not ("http" or "https"))
                throw new IOException($"Downloading {weights} from {url}: the server redirected to {next}, " +
                                      (downgrade ? "from https to plain http" : "another host") + "; refused, nothing was cached. " +
                                      "To fetch from that host, set CnnZoo.WeightsBaseUrl (or MLNETCNN_WEIGHTS_URL) to it.");
            if (hop == MaxRedirects)
                throw new IOException($"Downloading {weights} from {url}: more than {MaxRedirects} redirects; refused, nothing was cached.");
            current = next;
        }
    }

    // One read, failed when the server sends nothing for the idle timeout (one that sent headers and then went quiet would hang forever).
    private static async Task<int> ReadWithinAsync(Stream source, byte[] buffer, TimeSpan idle, PretrainedWeights weights, Uri url, CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(idle);
        try
        {
            return await source.ReadAsync(buffer, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new IOException($"Downloading {weights} from {url}: no data for {idle.TotalSeconds:0.#} s (CnnZoo.WeightsDownloadIdleTimeout); nothing was cached. Try again.");
        }
    }

    // A download killed before it could delete its temporary file (SIGKILL, a power cut; SIGTERM ends .NET without running finally
    // blocks) leaves it behind: removed when the process named in it no longer runs.
    private static void RemoveAbandonedDownloads(string fileName)
    {
        foreach (var file in Directory.EnumerateFiles(Folder, $".{fileName}.*.download"))
        {
            var owner = Path.GetFileName(file)[(fileName.Length + 2)..].Split('-')[0];
            if (!int.TryParse(owner, System.Globalization.CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId || IsRunning(pid))
                continue;
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
                // another process removed it first
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    // A full digest must be equal; a prefix (all the catalogue knows of some files) must begin the file's digest.
    private static async Task<bool> HashMatchesAsync(string path, string expected, CancellationToken cancellation)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellation));
        return expected.Length > 0 && hash.StartsWith(expected, StringComparison.OrdinalIgnoreCase);
    }
}

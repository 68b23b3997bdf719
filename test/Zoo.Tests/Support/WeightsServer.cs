using System.Net;
using System.Net.Sockets;

namespace MLNetCnn.Zoo.Tests.Support;

/// <summary>
/// A loopback HTTP server for the weights tests: serves files by name, or misbehaves on request (404, a body cut short, a
/// trickle of bytes). Counts requests, so a test can tell a cache hit from a download. Nothing leaves the machine.
/// </summary>
public sealed class WeightsServer : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly Dictionary<string, byte[]> files = new();
    private readonly Task loop;
    private readonly CancellationTokenSource stopping = new();
    private int requests;

    public WeightsServer()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseUrl = new Uri($"http://127.0.0.1:{port}/models/");
        listener.Prefixes.Add(BaseUrl.AbsoluteUri);
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public Uri BaseUrl { get; }

    public int Requests => Volatile.Read(ref requests);

    /// <summary>How the next requests are answered.</summary>
    public Behaviour Mode { get; set; } = Behaviour.Serve;

    // Requested name -> the location a 302 answer sends it to.
    private readonly Dictionary<string, string> redirects = new();

    /// <summary>Answers requests for <paramref name="fileName"/> with a 302 to <paramref name="location"/> (relative or absolute).</summary>
    public void Redirect(string fileName, string location)
    {
        lock (redirects) redirects[fileName] = location;
    }

    public enum Behaviour
    {
        Serve,
        CutShort,
        Trickle,

        /// <summary>A body without a length that never ends.</summary>
        Endless,

        /// <summary>Headers and one byte, then nothing until the server is disposed.</summary>
        Silent,
    }

    public void Add(string fileName, byte[] content)
    {
        lock (files) files[fileName] = content;
    }

    public void Dispose()
    {
        stopping.Cancel();
        listener.Stop();
        listener.Close();
        try
        {
            loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // the listener was stopped under a pending request
        }
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            Interlocked.Increment(ref requests);
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var name = context.Request.Url!.Segments[^1];
        byte[]? content;
        lock (files) files.TryGetValue(name, out content);
        var response = context.Response;
        try
        {
            string? location;
            lock (redirects) redirects.TryGetValue(name, out location);
            if (location is not null)
            {
                response.StatusCode = 302;
                response.RedirectLocation = location;
                response.Close();
                return;
            }
            if (Mode == Behaviour.Endless)
            {
                response.SendChunked = true;
                var chunk = new byte[1 << 16];
                while (true)
                    await response.OutputStream.WriteAsync(chunk);   // until the client goes away
            }
            if (content is null)
            {
                response.StatusCode = 404;
                response.Close();
                return;
            }
            response.ContentLength64 = content.Length;
            switch (Mode)
            {
                case Behaviour.CutShort:
                    await response.OutputStream.WriteAsync(content.AsMemory(0, content.Length / 2));
                    response.Abort();
                    return;
                case Behaviour.Silent:
                    await response.OutputStream.WriteAsync(content.AsMemory(0, 1));
                    await response.OutputStream.FlushAsync();
                    await Task.Delay(Timeout.Infinite, stopping.Token);
                    return;
                case Behaviour.Trickle:
                    for (var i = 0; i < content.Length; i++)
                    {
                        await response.OutputStream.WriteAsync(content.AsMemory(i, 1));
                        await Task.Delay(50);
                    }
                    break;
                default:
                    await response.OutputStream.WriteAsync(content);
                    break;
            }
            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // the client went away (a cancelled download): nothing to answer
        }
    }
}

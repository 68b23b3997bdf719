namespace MLNetCnn.Cli;

/// <summary>The <c>mlnetcnn</c> tool's exit codes, which every command returns and scripts can rely on.</summary>
public static class ExitCode
{
    /// <summary>A command that did its work.</summary>
    public const int Success = 0;

    /// <summary>A user error (bad option, missing file, a file that is not ours): one line says what and where.</summary>
    public const int UserError = 1;

    /// <summary>A crash (a bug of ours): the message and stack trace go to the error stream.</summary>
    public const int Crash = 2;

    /// <summary>The user interrupted the command (Ctrl+C); the last training checkpoint is kept.</summary>
    public const int Interrupted = 130;
}

using System.Diagnostics;

namespace OneThing.Tests.Fixtures;

/// <summary>
/// Runs a process of the solution as its own build produced it (with its deps.json and appsettings), from the build
/// configuration the tests run in, with settings in its environment; it must exit within a minute.
/// </summary>
public static class BuiltProcess
{
    public static string SiloAssembly => AssemblyOf(Path.Combine("silo", "OneThing.Silo"), "OneThing.Silo.dll");

    public static string AssemblyOf(string project, string assembly)
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory); // bin/<Configuration>/net10.0/
        var root = testOutput;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "OneThing.Orleans.sln")))
        {
            root = root.Parent;
        }
        var path = Path.Combine(root?.FullName ?? throw new InvalidOperationException("Repository root not found above " + testOutput),
            project, "bin", testOutput.Parent!.Name, testOutput.Name, assembly);
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first; the executable is missing.", path);
    }

    /// <returns>The exit code, and standard output followed by standard error.</returns>
    public static async Task<(int Code, string Output)> RunAsync(string assemblyPath, string[] arguments, IEnumerable<KeyValuePair<string, string?>> settings)
    {
        using var process = Process.Start(StartInfo(assemblyPath, arguments, settings))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await output + await error).Trim());
    }

    /// <summary>dotnet running the assembly with its arguments, from its folder, output redirected, settings as environment variables.</summary>
    public static ProcessStartInfo StartInfo(string assemblyPath, string[] arguments, IEnumerable<KeyValuePair<string, string?>> settings)
    {
        var start = new ProcessStartInfo("dotnet", [assemblyPath, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(assemblyPath),
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        return start;
    }
}

/// <summary>
/// A process of the solution left running (a silo), its output lines kept as they come; disposing it kills it and
/// waits for its exit.
/// </summary>
public sealed class RunningProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    private RunningProcess(Process process) => _process = process;

    public IEnumerable<string> Lines => _lines;

    /// <summary>Everything it wrote so far, for a failure message.</summary>
    public string Output => string.Join('\n', _lines);

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public static RunningProcess Start(string assemblyPath, IEnumerable<KeyValuePair<string, string?>> settings) =>
        Start(assemblyPath, [], settings);

    /// <summary>SIGKILL: no shutdown, no goodbye to the cluster.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    public static RunningProcess Start(string assemblyPath, string[] arguments, IEnumerable<KeyValuePair<string, string?>> settings)
    {
        var start = BuiltProcess.StartInfo(assemblyPath, arguments, settings);
        var process = new Process { StartInfo = start };
        var running = new RunningProcess(process);
        process.OutputDataReceived += (_, line) => running.Add(line.Data);
        process.ErrorDataReceived += (_, line) => running.Add(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return running;
    }

    /// <summary>A free TCP port on loopback for a process to listen on.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }
}

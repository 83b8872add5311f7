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
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await output + await error).Trim());
    }
}

using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace OneThing.Tests.Client;

/// <summary>OneThing.Client packs into a NuGet package with its README, description and licence.</summary>
public sealed class ClientPackageTests
{
    [Fact]
    public async Task ClientPacksWithItsReadme()
    {
        var output = Path.Combine(Path.GetTempPath(), $"onething-pack-{Guid.NewGuid():N}");
        try
        {
            // --no-build: the test run has just built the client in its own configuration, so packing costs seconds.
            var start = new ProcessStartInfo("dotnet",
                ["pack", Path.Combine(RepositoryRoot(), "api", "OneThing.Client", "OneThing.Client.csproj"), "-c", Configuration, "--no-build", "-o", output])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = RepositoryRoot(),
            };
            using var pack = Process.Start(start) ?? throw new InvalidOperationException("dotnet could not be started.");
            var stdout = pack.StandardOutput.ReadToEndAsync();
            var stderr = pack.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await pack.WaitForExitAsync(timeout.Token);
            Assert.True(pack.ExitCode == 0, $"dotnet pack failed:\n{await stdout}\n{await stderr}");

            var package = Assert.Single(Directory.GetFiles(output, "OneThing.Client.*.nupkg"));
            using var zip = ZipFile.OpenRead(package);
            var readme = zip.GetEntry("README.md");
            Assert.True(readme is not null, $"{package} holds no README.md: {string.Join(", ", zip.Entries.Select(e => e.FullName))}");
            using (var text = new StreamReader(readme.Open()))
            {
                Assert.Contains("SubmitCaseAsync", await text.ReadToEndAsync(), StringComparison.Ordinal);
            }
            Assert.Contains(zip.Entries, entry => entry.FullName == "lib/net10.0/OneThing.Client.dll");

            using var nuspecStream = zip.Entries.Single(entry => entry.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
            var nuspec = XDocument.Load(nuspecStream);
            var metadata = nuspec.Root!.Elements().Single(element => element.Name.LocalName == "metadata");
            string? Field(string name) => metadata.Elements().SingleOrDefault(element => element.Name.LocalName == name)?.Value;
            Assert.Equal("OneThing.Client", Field("id"));
            Assert.Equal("README.md", Field("readme"));
            Assert.False(string.IsNullOrWhiteSpace(Field("description")));
            Assert.False(string.IsNullOrWhiteSpace(Field("license")));
            Assert.Contains("OneThing.Contracts", nuspec.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "OneThing.Orleans.sln")))
        {
            root = root.Parent;
        }
        return root?.FullName ?? throw new InvalidOperationException("Repository root not found above " + AppContext.BaseDirectory);
    }
}

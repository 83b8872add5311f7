using System.Reflection;
using System.Text.RegularExpressions;
using OneThing.Tests.Fixtures;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OneThing.Tests.Deployment;

/// <summary>
/// Docker is not on the machines that build this repository, so deploy/ is checked against the code instead: every
/// manifest parses, every setting it passes is one the code reads and README documents, every probe and scrape target
/// names a port the container listens on and a route that exists, and every image starts a real assembly as non-root.
/// </summary>
public sealed partial class DeploymentManifestTests
{
    private static readonly string[] SiloHttpRoutes = ["/health/live", "/health/ready", "/metrics"];

    /// <summary>Variables read by the platform rather than by our configuration: ASP.NET Core's port, Orleans' Kubernetes hosting.</summary>
    private static readonly HashSet<string> PlatformVariables = new(StringComparer.Ordinal)
    {
        "ASPNETCORE_HTTP_PORTS", "POD_NAME", "POD_NAMESPACE", "POD_IP",
    };

    private static readonly string Root = RepositoryRoot();

    [Fact]
    public void EveryManifestParses()
    {
        var files = ManifestFiles().ToList();
        Assert.True(files.Count >= 7, $"expected the k8s manifests, the compose file and Prometheus' configuration under deploy/, found {files.Count}");
        foreach (var file in files)
        {
            var documents = Load(file);
            Assert.True(documents.Count > 0, $"{Relative(file)} holds no YAML document");
            Assert.All(documents, d => Assert.IsType<YamlMappingNode>(d.RootNode));
        }
    }

    [Fact]
    public void EverySettingTheManifestsPassIsReadByTheCodeAndDocumented()
    {
        var read = KeysTheCodeReads();
        var documented = KeysReadmeDocuments();
        var problems = new List<string>();
        foreach (var (where, name) in EnvironmentVariablesSet())
        {
            if (PlatformVariables.Contains(name))
            {
                continue;
            }
            var key = ConfigurationKey(name);
            if (!read.Contains(key))
            {
                problems.Add($"{where}: {name} ({key}) is read nowhere in the code");
            }
            else if (!documented.Contains(key))
            {
                problems.Add($"{where}: {name} ({key}) is not in README's configuration table");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void KubernetesProbesPointAtRoutesAndPortsTheContainerServes()
    {
        var apiRoutes = ApiHealthRoutes();
        var probes = 0;
        // Long-running pods only: the migrate Job exits when it is done.
        foreach (var (file, container) in KubernetesContainers("Deployment"))
        {
            var name = $"{Relative(file)}: container {Scalar(container, "name")}";
            var env = ContainerEnvironment(container);
            var servedPort = Scalar(container, "image") switch
            {
                "onething-api" => int.Parse(env["ASPNETCORE_HTTP_PORTS"]),
                "onething-silo" => env.TryGetValue("OneThing__Silo__HttpPort", out var port) ? int.Parse(port) : -1,
                var image => throw new Xunit.Sdk.XunitException($"{name}: unknown image {image}"),
            };
            var routes = Scalar(container, "image") == "onething-api" ? apiRoutes : SiloHttpRoutes;
            foreach (var kind in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
            {
                if (Child(container, kind) is not YamlMappingNode probe)
                {
                    continue;
                }
                probes++;
                var get = (YamlMappingNode)probe["httpGet"];
                Assert.Contains(Scalar(get, "path"), routes);
                Assert.True(ResolvePort(container, Scalar(get, "port")) == servedPort,
                    $"{name}: {kind} port {Scalar(get, "port")} is not the port the process listens on ({servedPort})");
            }
            Assert.True(Child(container, "readinessProbe") is not null && Child(container, "livenessProbe") is not null, $"{name} lacks a readiness or liveness probe");
            var template = TemplateOf(file, container);
            if (template?.Children.TryGetValue("annotations", out var annotations) == true)
            {
                Assert.Equal(servedPort.ToString(), Scalar((YamlMappingNode)annotations, "prometheus.io/port"));
            }
        }
        Assert.True(probes >= 5, $"found only {probes} probes");
    }

    [Fact]
    public void KubernetesObjectsReferToEachOther()
    {
        var objects = ManifestFiles().Where(f => f.Contains($"{Path.DirectorySeparatorChar}k8s{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => Load(f).Select(d => (YamlMappingNode)d.RootNode)).ToList();
        YamlMappingNode Find(string kind, string? name) => objects.Single(o => Scalar(o, "kind") == kind && Scalar((YamlMappingNode)o["metadata"], "name") == name);

        var secretKeys = objects.Where(o => Scalar(o, "kind") == "Secret")
            .SelectMany(o => ((YamlMappingNode)o["stringData"]).Children.Keys.Select(k => $"{Scalar((YamlMappingNode)o["metadata"], "name")}/{k}"))
            .ToHashSet();
        foreach (var (file, container) in KubernetesContainers())
        {
            Assert.True(Child(container, "resources") is YamlMappingNode resources && resources.Children.ContainsKey("requests"),
                $"{Relative(file)}: container {Scalar(container, "name")} has no resource requests");
            foreach (var reference in ((YamlSequenceNode?)Child(container, "env") ?? []).Cast<YamlMappingNode>()
                .Select(e => Child(e, "valueFrom") is YamlMappingNode from ? Child(from, "secretKeyRef") as YamlMappingNode : null)
                .OfType<YamlMappingNode>())
            {
                Assert.Contains($"{Scalar(reference, "name")}/{Scalar(reference, "key")}", secretKeys);
            }
        }

        var silo = Find("Deployment", "onething-silo");
        var siloPod = (YamlMappingNode)((YamlMappingNode)silo["spec"])["template"];
        var labels = (YamlMappingNode)((YamlMappingNode)siloPod["metadata"])["labels"];
        var siloEnv = ContainerEnvironment((YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)siloPod["spec"])["containers"])[0]);
        Assert.Equal("true", siloEnv["OneThing__Cluster__KubernetesHosting"]);
        Assert.Equal(siloEnv["OneThing__Cluster__ClusterId"], Scalar(labels, "orleans/clusterId"));
        Assert.Equal(siloEnv["OneThing__Cluster__ServiceId"], Scalar(labels, "orleans/serviceId"));
        foreach (var variable in new[] { "POD_NAME", "POD_NAMESPACE", "POD_IP" })
        {
            Assert.True(siloEnv.ContainsKey(variable), $"the silo's pod does not pass {variable} to Orleans' Kubernetes hosting");
        }

        var account = Scalar((YamlMappingNode)siloPod["spec"], "serviceAccountName");
        Find("ServiceAccount", account);
        var binding = objects.Single(o => Scalar(o, "kind") == "RoleBinding"
            && ((YamlSequenceNode)o["subjects"]).Cast<YamlMappingNode>().Any(s => Scalar(s, "name") == account));
        var role = Find("Role", Scalar((YamlMappingNode)binding["roleRef"], "name"));
        var podRule = ((YamlSequenceNode)role["rules"]).Cast<YamlMappingNode>()
            .Single(r => ((YamlSequenceNode)r["resources"]).Cast<YamlScalarNode>().Any(s => s.Value == "pods"));
        var verbs = ((YamlSequenceNode)podRule["verbs"]).Cast<YamlScalarNode>().Select(v => v.Value).ToHashSet();
        Assert.Superset(new HashSet<string?> { "get", "list", "watch", "patch" }, verbs);

        foreach (var budget in objects.Where(o => Scalar(o, "kind") == "PodDisruptionBudget"))
        {
            var selector = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)budget["spec"])["selector"])["matchLabels"];
            Assert.Contains(objects, o => Scalar(o, "kind") == "Deployment"
                && selector.Children.All(l => Scalar((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)o["spec"])["template"])["metadata"])["labels"], l.Key.ToString()) == l.Value.ToString()));
        }
        Assert.Equal(2, objects.Count(o => Scalar(o, "kind") == "PodDisruptionBudget"));

        var job = Find("Job", "onething-migrate");
        var migrate = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)job["spec"])["template"])["spec"])["containers"])[0];
        Assert.Equal("onething-silo", Scalar(migrate, "image"));
        Assert.Equal("migrate", ((YamlSequenceNode)migrate["args"])[0].ToString());
        Assert.Contains("\"migrate\"", File.ReadAllText(Path.Combine(Root, "silo", "OneThing.Silo", "Program.cs")), StringComparison.Ordinal);
    }

    [Fact]
    public void ComposeRunsTwoSilosTwoApisPostgresAndPrometheusScrapingEachOfThem()
    {
        var compose = (YamlMappingNode)Load(Path.Combine(Root, "deploy", "docker-compose.yml")).Single().RootNode;
        var services = (YamlMappingNode)compose["services"];
        string? ImageOf(YamlMappingNode service) => Child(service, "image")?.ToString();
        var named = services.Children.ToDictionary(s => s.Key.ToString(), s => (YamlMappingNode)s.Value);
        var silos = named.Where(s => ImageOf(s.Value) == "onething-silo" && Child(s.Value, "command") is null).ToList();
        var apis = named.Where(s => ImageOf(s.Value) == "onething-api").ToList();
        Assert.Equal(2, silos.Count);
        Assert.Equal(2, apis.Count);
        Assert.Contains(named.Values, s => ImageOf(s)?.StartsWith("postgres:", StringComparison.Ordinal) == true);
        Assert.Contains(named.Values, s => ImageOf(s)?.StartsWith("prom/prometheus:", StringComparison.Ordinal) == true);

        var metricsEndpoints = silos.Select(s => $"{s.Key}:{ComposeEnvironment(s.Value)["OneThing__Silo__HttpPort"]}")
            .Concat(apis.Select(a => $"{a.Key}:{ComposeEnvironment(a.Value)["ASPNETCORE_HTTP_PORTS"]}"))
            .ToHashSet();
        var prometheus = (YamlMappingNode)Load(Path.Combine(Root, "deploy", "prometheus", "prometheus.yml")).Single().RootNode;
        var targets = ((YamlSequenceNode)prometheus["scrape_configs"]).Cast<YamlMappingNode>()
            .Where(job => Scalar(job, "metrics_path") == "/metrics")
            .SelectMany(job => ((YamlSequenceNode)job["static_configs"]).Cast<YamlMappingNode>())
            .SelectMany(c => ((YamlSequenceNode)c["targets"]).Cast<YamlScalarNode>().Select(t => t.Value!))
            .ToHashSet();
        Assert.Equal(metricsEndpoints.Order(), targets.Order());
        foreach (var (name, silo) in silos)
        {
            Assert.Equal(name, ComposeEnvironment(silo)["OneThing__Cluster__AdvertisedAddress"]);
        }
    }

    [Theory]
    [InlineData("silo.Dockerfile", "silo/OneThing.Silo/OneThing.Silo.csproj", "OneThing.Silo.dll")]
    [InlineData("api.Dockerfile", "api/OneThing.Api/OneThing.Api.csproj", "OneThing.Api.dll")]
    public void ImagesPublishTheirProjectAndStartItsAssemblyAsNonRoot(string dockerfile, string project, string assembly)
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "deploy", dockerfile)).Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var stages = lines.Count(l => l.StartsWith("FROM ", StringComparison.Ordinal));
        Assert.True(stages >= 2, $"{dockerfile} is not multi-stage");
        Assert.Contains(lines, l => l.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0", StringComparison.Ordinal));
        var publish = Assert.Single(lines, l => l.Contains("dotnet publish", StringComparison.Ordinal));
        Assert.Contains(project, publish, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Root, project)), $"{project} does not exist");
        foreach (var copy in lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal)))
        {
            var sources = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1];
            Assert.All(sources, s => Assert.True(Path.Exists(Path.Combine(Root, s)), $"{dockerfile}: COPY source {s} does not exist"));
        }

        var final = lines.SkipWhile((_, i) => i < lines.FindLastIndex(l => l.StartsWith("FROM ", StringComparison.Ordinal))).ToList();
        Assert.Matches("^FROM mcr\\.microsoft\\.com/dotnet/aspnet:10\\.0", final[0]);
        var user = Assert.Single(final, l => l.StartsWith("USER ", StringComparison.Ordinal))[5..].Trim();
        Assert.DoesNotContain(user, new[] { "root", "0", "0:0" });
        Assert.Equal($"ENTRYPOINT [\"dotnet\", \"{assembly}\"]", Assert.Single(final, l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal)));
        // The assembly the image starts is the one this build produces from that project.
        Assert.True(File.Exists(BuiltProcess.AssemblyOf(Path.GetDirectoryName(project)!, assembly)));
        Assert.Equal(Path.GetFileNameWithoutExtension(project), Path.GetFileNameWithoutExtension(assembly));
    }

    /// <summary>The configuration key an environment variable sets, list indexes as N (<c>OneThing:Auth:Keys:N:Key</c>).</summary>
    private static string ConfigurationKey(string variable) =>
        string.Join(':', variable.Split("__").Select(part => part.All(char.IsAsciiDigit) ? "N" : part));

    /// <summary>
    /// Keys the code reads: each options class's section and properties (list items as <c>:N:</c>), the connection
    /// string names, and every key spelled out in a <c>Configuration[...]</c>, <c>GetValue</c> or constant.
    /// </summary>
    private static HashSet<string> KeysTheCodeReads()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var assemblies = new[] { typeof(Program).Assembly, typeof(Silo.Hosting.OneThingClusterOptions).Assembly, typeof(Grains.Catalog.CatalogException).Assembly };
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()))
        {
            if (type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field)
            {
                AddProperties(keys, (string)field.GetRawConstantValue()!, type);
            }
        }
        var sources = new[] { "api", "silo", "grains" }.SelectMany(d => Directory.EnumerateFiles(Path.Combine(Root, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        foreach (var text in sources.Select(File.ReadAllText))
        {
            keys.UnionWith(KeyLiteral().Matches(text).Select(m => m.Groups[1].Value));
            keys.UnionWith(ConnectionStringName().Matches(text).Select(m => $"ConnectionStrings:{m.Groups[1].Value}"));
        }
        return keys;
    }

    private static void AddProperties(HashSet<string> keys, string prefix, Type type)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite || p.PropertyType.IsGenericType))
        {
            var key = $"{prefix}:{property.Name}";
            keys.Add(key);
            if (property.PropertyType.IsGenericType && property.PropertyType.GetGenericTypeDefinition() == typeof(List<>))
            {
                AddProperties(keys, key + ":N", property.PropertyType.GetGenericArguments()[0]);
            }
        }
    }

    /// <summary>Keys of README's configuration table; <c>`A:B:C` / `:D`</c> documents A:B:C and A:B:D.</summary>
    private static HashSet<string> KeysReadmeDocuments()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(Root, "README.md")).Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            var cell = line.Split('|')[1];
            var names = Regex.Matches(cell, "`([^`]+)`").Select(m => m.Groups[1].Value).ToList();
            var first = names.FirstOrDefault();
            foreach (var name in names)
            {
                if (name.StartsWith(':') && first is not null)
                {
                    keys.Add(first[..first.LastIndexOf(':')] + name);
                }
                else
                {
                    keys.Add(name);
                }
            }
        }
        return keys;
    }

    private static IEnumerable<(string Where, string Name)> EnvironmentVariablesSet()
    {
        foreach (var (file, container) in KubernetesContainers())
        {
            foreach (var name in ContainerEnvironment(container).Keys)
            {
                yield return ($"{Relative(file)} ({Scalar(container, "name")})", name);
            }
        }
        var compose = (YamlMappingNode)Load(Path.Combine(Root, "deploy", "docker-compose.yml")).Single().RootNode;
        foreach (var (name, service) in ((YamlMappingNode)compose["services"]).Children.Select(s => (s.Key.ToString(), (YamlMappingNode)s.Value)))
        {
            if (Child(service, "image")?.ToString() is "onething-silo" or "onething-api")
            {
                foreach (var variable in ComposeEnvironment(service).Keys)
                {
                    yield return ($"docker-compose.yml ({name})", variable);
                }
            }
        }
        foreach (var dockerfile in new[] { "silo.Dockerfile", "api.Dockerfile" })
        {
            foreach (var line in File.ReadLines(Path.Combine(Root, "deploy", dockerfile)).Where(l => l.StartsWith("ENV ", StringComparison.Ordinal)))
            {
                yield return (dockerfile, line[4..].Split('=')[0].Trim());
            }
        }
    }

    private static IReadOnlyList<string> ApiHealthRoutes()
    {
        var source = File.ReadAllText(Path.Combine(Root, "api", "OneThing.Api", "Health", "HealthEndpoints.cs"));
        var group = Regex.Match(source, "MapGroup\\(\"(/[^\"]*)\"\\)").Groups[1].Value;
        var routes = Regex.Matches(source, "MapGet\\(\"(/[^\"]*)\"").Select(m => group + m.Groups[1].Value).ToList();
        Assert.Contains("/health/ready", routes);
        return routes;
    }

    private static IEnumerable<(string File, YamlMappingNode Container)> KubernetesContainers(string kinds = "Deployment Job")
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "deploy", "k8s"), "*.yaml"))
        {
            foreach (var document in Load(file))
            {
                var root = (YamlMappingNode)document.RootNode;
                if (kinds.Split(' ').Contains(Scalar(root, "kind")))
                {
                    var pod = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)root["spec"])["template"])["spec"];
                    foreach (var container in ((YamlSequenceNode)pod["containers"]).Cast<YamlMappingNode>())
                    {
                        yield return (file, container);
                    }
                }
            }
        }
    }

    private static YamlMappingNode? TemplateOf(string file, YamlMappingNode container) =>
        Load(file).Select(d => (YamlMappingNode)d.RootNode)
            .Where(r => Scalar(r, "kind") == "Deployment")
            .Select(r => (YamlMappingNode)((YamlMappingNode)r["spec"])["template"])
            .FirstOrDefault(t => ((YamlSequenceNode)((YamlMappingNode)t["spec"])["containers"]).Cast<YamlMappingNode>()
                .Any(c => Scalar(c, "name") == Scalar(container, "name")))
            is { } template ? (YamlMappingNode)template["metadata"] : null;

    private static Dictionary<string, string> ContainerEnvironment(YamlMappingNode container) =>
        ((YamlSequenceNode?)Child(container, "env") ?? []).Cast<YamlMappingNode>()
            .ToDictionary(e => Scalar(e, "name")!, e => Child(e, "value")?.ToString() ?? "(secret or field)");

    private static Dictionary<string, string> ComposeEnvironment(YamlMappingNode service) =>
        Child(service, "environment") is YamlMappingNode environment
            ? environment.Children.ToDictionary(e => e.Key.ToString(), e => e.Value.ToString())
            : [];

    private static int ResolvePort(YamlMappingNode container, string? port) =>
        int.TryParse(port, out var number)
            ? number
            : int.Parse(Scalar(((YamlSequenceNode)container["ports"]).Cast<YamlMappingNode>().Single(p => Scalar(p, "name") == port), "containerPort")!);

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string? Scalar(YamlMappingNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;

    private static IEnumerable<string> ManifestFiles() =>
        Directory.EnumerateFiles(Path.Combine(Root, "deploy"), "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal));

    /// <summary>Every document of a file, with compose's merge keys (<c>&lt;&lt;: *anchor</c>) applied.</summary>
    private static List<YamlDocument> Load(string file)
    {
        using var reader = new StringReader(File.ReadAllText(file));
        var stream = new YamlStream();
        stream.Load(new MergingParser(new Parser(reader)));
        return [.. stream.Documents];
    }

    private static string Relative(string file) => Path.GetRelativePath(Root, file);

    private static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "OneThing.Orleans.sln")))
        {
            root = root.Parent;
        }
        return root?.FullName ?? throw new InvalidOperationException("Repository root not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("\"((?:OneThing|ConnectionStrings|Logging):[A-Za-z:]+)\"")]
    private static partial Regex KeyLiteral();

    [GeneratedRegex("GetConnectionString\\(\"([A-Za-z]+)\"\\)")]
    private static partial Regex ConnectionStringName();
}

# The silo image. Build from the repository root: docker build -f deploy/silo.Dockerfile -t onething-silo .
# The same image runs the migrate Job (`OneThing.Silo.dll migrate`) and `protect-existing`.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project files first: the restore layer is reused until a package or project reference changes.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY grains/OneThing.Grains.Abstractions/OneThing.Grains.Abstractions.csproj grains/OneThing.Grains.Abstractions/
COPY grains/OneThing.Grains/OneThing.Grains.csproj grains/OneThing.Grains/
COPY silo/OneThing.Silo.Hosting/OneThing.Silo.Hosting.csproj silo/OneThing.Silo.Hosting/
COPY silo/OneThing.Silo/OneThing.Silo.csproj silo/OneThing.Silo/
RUN dotnet restore silo/OneThing.Silo/OneThing.Silo.csproj
COPY grains/ grains/
COPY silo/ silo/
COPY catalog/ catalog/
RUN dotnet publish silo/OneThing.Silo/OneThing.Silo.csproj -c Release --no-restore -o /app /p:UseAppHost=false

# ASP.NET Core's runtime, not the bare one: the silo serves /health and /metrics over Kestrel (OneThing:Silo:HttpPort).
# Chiseled: no shell, no package manager; "extra" keeps ICU, which the silo needs (InvariantGlobalization is off).
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled-extra AS runtime
WORKDIR /app
COPY --from=build /app .
USER $APP_UID
ENV OneThing__Silo__HttpPort=8081
EXPOSE 11111 30000 8081
ENTRYPOINT ["dotnet", "OneThing.Silo.dll"]

// chronicle: records livestreams on demand. This file only parses arguments.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "app/app.hpp"
#include "cli/chat_commands.hpp"
#include "cli/clip_commands.hpp"
#include "cli/commands.hpp"
#include "cli/suggest.hpp"
#include "cli/webhook_commands.hpp"
#include "core/settings.hpp"
#include "sys/access.hpp"

int main(int argc, char** argv) {
  using namespace chronicle;
  CLI::App app{"chronicle: record livestreams on demand, store them, share them over BitTorrent"};
  app.require_subcommand(1);
  // --server and --token (and any option of a command above) may come anywhere on the line.
  app.fallthrough();
  app.set_version_flag("--version", std::string("chronicle ") + app::kVersion);

  const char* env_server = std::getenv("CHRONICLE_SERVER");
  const char* env_token = std::getenv("CHRONICLE_TOKEN");
  std::string server = env_server && *env_server ? env_server : "http://127.0.0.1:8080";
  std::string token = env_token ? env_token : "";
  app.add_option("--server", server, "chronicle server URL ($CHRONICLE_SERVER)");
  app.add_option("--token", token, "API token for changes ($CHRONICLE_TOKEN)");

  std::string config_file, data_dir, listen, job_id;
  // The roles that run against a data directory share how it and the settings are found.
  auto add_role = [&](const char* name, const char* description) {
    auto* role = app.add_subcommand(name, description);
    role->add_option("--config", config_file, "TOML settings file");
    role->add_option("--data", data_dir, "data directory ($CHRONICLE_DATA)");
    return role;
  };
  auto* serve = add_role("serve", "run the API, dashboard, dispatcher and recorder supervisor");
  serve->add_option("--listen", listen, "HOST:PORT to listen on ($CHRONICLE_LISTEN, default 127.0.0.1:8080)");

  auto* record = add_role("record", "record one job (started by serve or an ECS task)");
  record->add_option("--job", job_id, "job id")->required();

  auto* seed = add_role("seed", "run a standalone seeding node for stored recordings");
  auto* provision = add_role("provision", "create the S3 bucket, SQS queues and DynamoDB table (idempotent)");
  auto* lambda = add_role("lambda", "the AWS Lambda bootstrap: API Gateway, SQS and scheduled events");
  auto* config_cmd = add_role("config", "print the effective settings and where each came from");
  config_cmd->add_option("--listen", listen, "HOST:PORT ($CHRONICLE_LISTEN)");
  bool config_markdown = false, config_json = false;
  config_cmd->add_flag("--json", config_json, "print JSON");
  config_cmd->add_flag("--markdown", config_markdown, "print the settings table (as in the README)");

  app::MakeTorrentOptions torrent_opts;
  auto* token_cmd = app.add_subcommand("token", "print the API token of the server using this data directory");
  token_cmd->add_option("--data", data_dir, "data directory ($CHRONICLE_DATA)");
  auto* make_torrent = app.add_subcommand("torrent", "make a .torrent for a file with chronicle's creator");
  make_torrent->add_option("file", torrent_opts.file, "the file")->required();
  make_torrent->add_option("-o,--output", torrent_opts.output, "where to write it (default FILE.torrent)");
  make_torrent->add_flag("--hybrid", torrent_opts.hybrid, "hybrid v1+v2 instead of v1");
  make_torrent->add_option("--piece-size", torrent_opts.piece_size, "bytes, a power of two (default: from the size)");
  make_torrent->add_option("--threads", torrent_opts.threads, "hashing threads (default: one per core)");
  make_torrent->add_option("--tracker", torrent_opts.trackers, "announce URL (repeatable)");
  make_torrent->add_option("--web-seed", torrent_opts.web_seeds, "BEP 19 web seed URL (repeatable)");

  bool json_flag_for_channels = false;
  cli::SubmitOptions submit_opts;
  auto* submit = app.add_subcommand("submit", "record a live URL");
  submit->add_option("url", submit_opts.url, "the live stream's URL")->required();
  submit->add_option("--name", submit_opts.name, "file name for the recording");
  submit->add_option("--prefix", submit_opts.prefix, "folder for the recording");
  submit->add_option("--quality", submit_opts.format,
                     "best (default), 1080p, 720p, 480p, audio, or a yt-dlp format selector");
  submit->add_flag("--wait", submit_opts.wait, "follow progress until the job ends");
  submit
      ->add_option("--reconnect-window", submit_opts.reconnect_window_s,
                   "seconds to wait for a dropped stream to come back (default: the server's)")
      ->check(CLI::Range(0.0, 86400.0));
  submit->add_flag("--json", submit_opts.json, "print the job as JSON");
  submit->add_flag("--no-chat", submit_opts.no_chat, "do not record the live chat (Twitch, YouTube)");
  std::string wait_for_live;
  submit->add_option("--wait-for-live", wait_for_live,
                     "if the stream is not live yet, wait this long for it (90s, 15m, 2h; at most 7d)");

  cli::ChannelOptions channel_opts;
  std::string every;
  auto* channel = app.add_subcommand("channel", "watch channels and record each live session");
  channel->require_subcommand(1);
  auto* channel_add = channel->add_subcommand("add", "watch a channel URL");
  channel_add->add_option("url", channel_opts.url, "the channel's URL (for sites with one, its live page)")->required();
  channel_add->add_option("--name", channel_opts.name, "the channel's name (default: the URL's host)");
  channel_add->add_option("--prefix", channel_opts.prefix, "folder for its recordings");
  channel_add->add_option("--name-format", channel_opts.name_format,
                          "each recording's name: {channel}, {title}, {date:%Y-%m-%d %H%M}");
  channel_add->add_option("--quality", channel_opts.format,
                          "its recordings' quality: best (default), 1080p, 720p, 480p, audio, or a yt-dlp selector");
  channel_add->add_option("--every", every, "how often it is checked (30s, 5m; default: the server's)");
  channel_add->add_flag("--paused", channel_opts.paused, "add it without checking it yet");
  channel_add->add_flag("--no-chat", channel_opts.no_chat, "do not record its live chat (Twitch, YouTube)");
  channel_add->add_flag("--json", channel_opts.json, "print the channel as JSON");
  auto* channel_ls = channel->add_subcommand("ls", "list channels and their state");
  channel_ls->add_flag("--json", json_flag_for_channels, "print JSON");
  std::string channel_id;
  auto channel_cmd = [&](const char* name, const char* description) {
    auto* c = channel->add_subcommand(name, description);
    c->add_option("id", channel_id, "channel id")->required();
    c->add_flag("--json", json_flag_for_channels, "print JSON");
    return c;
  };
  auto* channel_show = channel_cmd("show", "show one channel");
  cli::ChannelEdit channel_edit_opts;
  std::string edit_every;
  auto* channel_edit = channel_cmd("edit", "change a channel's name, folder, naming, quality, interval or chat");
  channel_edit->add_option("--name", channel_edit_opts.name, "the channel's name");
  channel_edit->add_option("--prefix", channel_edit_opts.prefix, "folder for its recordings (\"\" for none)");
  channel_edit->add_option("--name-format", channel_edit_opts.name_format,
                           "each recording's name: {channel}, {title}, {date:%Y-%m-%d %H%M}");
  channel_edit->add_option("--quality", channel_edit_opts.format,
                           "its recordings' quality: best, 1080p, 720p, 480p, audio, or a yt-dlp selector");
  channel_edit->add_option("--every", edit_every, "how often it is checked (30s, 5m)");
  channel_edit->add_option("--chat", channel_edit_opts.chat, "record its live chat: on or off");
  auto* channel_pause = channel_cmd("pause", "stop checking a channel");
  auto* channel_resume = channel_cmd("resume", "check a paused channel again");
  auto* channel_check = channel_cmd("check", "check a channel now (and record it if it is live)");
  auto* channel_rm = channel_cmd("rm", "stop watching a channel (its recordings stay)");

  std::string cookie_domain, cookie_file;
  auto* cookies = app.add_subcommand("cookies", "logins for sites: a Netscape cookies file per domain");
  cookies->require_subcommand(1);
  auto* cookies_add = cookies->add_subcommand("add", "store (or replace) a domain's cookies file");
  cookies_add->add_option("domain", cookie_domain, "the site's domain (example.com also covers www.example.com)")
      ->required();
  cookies_add->add_option("file", cookie_file, "a Netscape cookies file (as browser extensions export it)")->required();
  cookies_add->add_flag("--json", json_flag_for_channels, "print JSON");
  auto* cookies_ls = cookies->add_subcommand("ls", "the domains with cookies, how many and when they expire");
  cookies_ls->add_flag("--json", json_flag_for_channels, "print JSON");
  auto* cookies_rm = cookies->add_subcommand("rm", "delete a domain's cookies");
  cookies_rm->add_option("domain", cookie_domain, "the domain")->required();
  cookies_rm->add_flag("--json", json_flag_for_channels, "print JSON");

  const cli::WebhookCommands webhook_commands(app);
  const cli::ClipCommands clip_commands(app);
  const cli::ChatCommands chat_commands(app);

  bool json = false;
  std::string status;
  int limit = 50;
  auto* ls = app.add_subcommand("ls", "list jobs, newest first");
  ls->add_option("--status", status, "only jobs with this status");
  ls->add_option("--limit", limit, "at most this many jobs")->check(CLI::Range(1, 500));
  ls->add_flag("--json", json, "print JSON");

  std::string id;
  auto* show = app.add_subcommand("show", "show one job");
  show->add_option("id", id, "job id (its first characters are enough)")->required();
  show->add_flag("--json", json, "print JSON");
  bool verbose = false;
  show->add_flag("-v,--verbose", verbose, "also the tools' own words when the job failed");
  auto* stop = app.add_subcommand("stop", "stop a recording (keeps what was recorded) or cancel a pending job");
  stop->add_option("id", id, "job id")->required();
  stop->add_flag("--json", json, "print JSON");
  auto* rm = app.add_subcommand("rm", "delete a finished job and its files");
  rm->add_option("id", id, "job id")->required();
  rm->add_flag("--json", json, "print JSON");
  auto* pin = app.add_subcommand("pin", "keep a job's recording whatever retention says");
  pin->add_option("id", id, "job id")->required();
  pin->add_flag("--json", json, "print JSON");
  auto* unpin = app.add_subcommand("unpin", "leave a job's recording to retention again");
  unpin->add_option("id", id, "job id")->required();
  unpin->add_flag("--json", json, "print JSON");
  auto* watch = app.add_subcommand("watch", "follow live progress of one job, or of all jobs");
  watch->add_option("id", id, "job id (default: all jobs)");
  watch->add_flag("--json", json, "print JSON");

  bool torrent = false;
  std::string output;
  auto* download = app.add_subcommand("download", "download a recording or its .torrent");
  download->add_option("id", id, "job id")->required();
  download->add_flag("--torrent", torrent, "download the .torrent instead of the recording");
  download->add_option("-o,--output", output, "where to save it ('-' for stdout)");
  bool force = false;
  download->add_flag("--force", force, "replace the file if it exists");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // Whatever CLI11 refused is a command to fix: exit 2, as the README's table says.
    const auto typo = cli::typo_hint(app, std::vector<std::string>(argv + 1, argv + argc));
    std::cerr << "chronicle: " << (typo ? *typo : std::string(e.what()));
    std::cerr << "\nRun 'chronicle --help' for the commands, or 'chronicle COMMAND --help' for one.\n";
    return 2;
  }

  if (config_cmd->parsed() && config_markdown) {
    std::cout << settings_markdown();
    return 0;
  }
  if (serve->parsed() || record->parsed() || seed->parsed() || provision->parsed() || lambda->parsed() ||
      config_cmd->parsed()) {
    const auto config_path = config_file.empty() ? std::nullopt : std::optional<std::filesystem::path>(config_file);
    std::map<std::string, std::string> flags;
    if (!data_dir.empty()) flags["data_dir"] = data_dir;
    if (!listen.empty()) flags["listen"] = listen;
    auto loaded = load_settings(config_path, flags);
    if (!loaded) {
      std::cerr << "chronicle: " << loaded.error().message << "\n";
      return 2;
    }
    if (config_cmd->parsed()) return app::run_show_config(*loaded, config_json);
    auto config = std::optional<Config>(std::move(loaded->config));
    if (auto valid = validate(*config); !valid) {
      std::cerr << "chronicle: " << valid.error().message << "\n";
      return 2;
    }
    // A token created earlier by serve (see run_serve) holds until one is configured.
    if (config->token.empty()) {
      auto stored = sys::read_token_file(config->token_file());
      if (!stored) {
        std::cerr << "chronicle: " << stored.error().message << "\n";
        return 2;
      }
      config->token = *stored;
      if (!stored->empty()) loaded->sources["token"] = "created by serve in " + config->token_file().string();
    }
    if (serve->parsed()) return app::run_serve(*config, config_path, settings_json({*config, loaded->sources}));
    if (seed->parsed()) return app::run_seed(*config);
    if (provision->parsed()) return app::run_provision(*config);
    if (lambda->parsed()) return app::run_lambda(*config, config_path);
    return app::run_record(*config, job_id);
  }

  if (make_torrent->parsed()) return app::run_make_torrent(torrent_opts);

  if (token_cmd->parsed()) return app::run_show_token(data_dir);
  // On the server's own machine the CLI finds a token serve created, as the dashboard's user
  // would paste it.
  if (token.empty()) {
    auto config = load_config(std::nullopt);
    if (config) {
      if (!data_dir.empty()) config->data_dir = data_dir;
      if (auto stored = sys::read_token_file(config->token_file()); stored) token = *stored;
    }
  }
  cli::Client client(server, token);
  auto duration = [](const std::string& text, const char* flag) -> std::optional<double> {
    auto seconds = cli::parse_duration(text);
    if (!seconds)
      std::cerr << "chronicle: " << flag << " takes a duration such as 90s, 15m or 2h, not '" << text << "'\n";
    return seconds;
  };
  if (submit->parsed()) {
    if (!wait_for_live.empty() && !(submit_opts.wait_for_live_s = duration(wait_for_live, "--wait-for-live"))) return 2;
    return cli::cmd_submit(client, submit_opts);
  }
  if (channel_add->parsed()) {
    if (!every.empty() && !(channel_opts.poll_interval_s = duration(every, "--every"))) return 2;
    return cli::cmd_channel_add(client, channel_opts);
  }
  if (channel_ls->parsed()) return cli::cmd_channel_ls(client, json_flag_for_channels);
  if (channel_edit->parsed()) {
    if (!edit_every.empty() && !(channel_edit_opts.poll_interval_s = duration(edit_every, "--every"))) return 2;
    channel_edit_opts.json = json_flag_for_channels;
    return cli::cmd_channel_edit(client, channel_id, channel_edit_opts);
  }
  if (channel_show->parsed()) return cli::cmd_channel_show(client, channel_id, json_flag_for_channels);
  if (channel_pause->parsed()) return cli::cmd_channel_set_enabled(client, channel_id, false, json_flag_for_channels);
  if (channel_resume->parsed()) return cli::cmd_channel_set_enabled(client, channel_id, true, json_flag_for_channels);
  if (channel_check->parsed()) return cli::cmd_channel_check(client, channel_id, json_flag_for_channels);
  if (channel_rm->parsed()) return cli::cmd_channel_rm(client, channel_id, json_flag_for_channels);
  if (cookies_add->parsed()) return cli::cmd_cookies_add(client, cookie_domain, cookie_file, json_flag_for_channels);
  if (cookies_ls->parsed()) return cli::cmd_cookies_ls(client, json_flag_for_channels);
  if (cookies_rm->parsed()) return cli::cmd_cookies_rm(client, cookie_domain, json_flag_for_channels);
  if (auto code = webhook_commands.run(client)) return *code;
  if (auto code = clip_commands.run(client)) return *code;
  if (auto code = chat_commands.run(client)) return *code;
  if (ls->parsed()) return cli::cmd_ls(client, status, limit, json);
  if (show->parsed()) return cli::cmd_show(client, id, json, verbose);
  if (stop->parsed()) return cli::cmd_stop(client, id, json);
  if (rm->parsed()) return cli::cmd_rm(client, id, json);
  if (pin->parsed()) return cli::cmd_pin(client, id, true, json);
  if (unpin->parsed()) return cli::cmd_pin(client, id, false, json);
  if (watch->parsed()) return cli::cmd_watch(client, id, json);
  if (download->parsed()) return cli::cmd_download(client, id, torrent, output, force);
  return 1;
}

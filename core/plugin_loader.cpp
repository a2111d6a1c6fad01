#include "core/plugin_loader.h"

#include <dlfcn.h>
#include <elf.h>

#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>

#include "core/errors.h"
#include "core/input_record.h"
#include "core/plugin_api.h"

namespace acceltran {

namespace {

// dlopen maps a shared object and trusts its headers: a truncated file (a copy cut short, a
// build interrupted while linking) maps past its end and the process dies of SIGBUS when the
// loader touches those pages. So the ELF header is read first and every table it points to must
// lie inside the file.
void check_elf_file(const std::string& path) {
    const std::string who = "plug-in '" + path + "': ";
    std::ifstream in(path, std::ios::binary);
    Elf64_Ehdr h{};
    in.read(reinterpret_cast<char*>(&h), sizeof h);
    const std::streamsize got = in.gcount();
    if (got < SELFMAG || std::memcmp(h.e_ident, ELFMAG, SELFMAG) != 0)
        throw InputError(who + "not a shared object (no ELF signature; is it a source file or a script?)");
    if (got < std::streamsize(sizeof h)) throw InputError(who + "truncated shared object (shorter than an ELF header)");
    if (h.e_ident[EI_CLASS] != ELFCLASS64)
        throw InputError(who + "not a 64-bit ELF shared object");
    if (h.e_type != ET_DYN) throw InputError(who + "an ELF file, but not a shared object (build it as a MODULE library)");
    std::error_code ec;
    const std::uint64_t size = std::filesystem::file_size(path, ec);
    const auto table_end = [](std::uint64_t offset, std::uint64_t count, std::uint64_t entry) {
        return entry != 0 && count > (UINT64_MAX - offset) / entry ? UINT64_MAX : offset + count * entry;
    };
    if (ec || table_end(h.e_phoff, h.e_phnum, h.e_phentsize) > size ||
        table_end(h.e_shoff, h.e_shnum, h.e_shentsize) > size)
        throw InputError(who + "truncated or damaged shared object: its headers point past the end of the file (" +
                         std::to_string(size) + " bytes); rebuild it");
    // Every loadable segment's file bytes must be there too.
    in.seekg(std::streamoff(h.e_phoff));
    for (int i = 0; i < h.e_phnum; ++i) {
        Elf64_Phdr ph{};
        if (h.e_phentsize < sizeof ph || !in.read(reinterpret_cast<char*>(&ph), sizeof ph))
            throw InputError(who + "damaged shared object: unreadable program header " + std::to_string(i));
        in.seekg(std::streamoff(h.e_phentsize - sizeof ph), std::ios::cur);
        if (ph.p_type == PT_LOAD && table_end(ph.p_offset, 1, ph.p_filesz) > size)
            throw InputError(who + "truncated shared object: a loadable segment ends at byte " +
                             std::to_string(ph.p_offset + ph.p_filesz) + " of a " + std::to_string(size) +
                             "-byte file; rebuild it");
    }
}

}  // namespace

std::vector<std::string> PluginLoader::load(const std::string& path, ModelRegistry& registry) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
        throw InputError("plug-in '" + path + "': cannot open it: " + ec.message());
    if (ec || status.type() == fs::file_type::not_found) throw InputError("plug-in '" + path + "': no such file");
    if (status.type() != fs::file_type::regular) throw InputError("plug-in '" + path + "': not a regular file");
    check_elf_file(path);
    InputRecord::note_file(path, "a plug-in");
    // dlopen searches the library path for a name without a slash; a plug-in is always a file.
    const std::string file = path.find('/') == std::string::npos ? "./" + path : path;
    void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* why = dlerror();
        throw InputError("plug-in '" + path + "': cannot load it as a shared object: " + (why ? why : "unknown error"));
    }
    auto version = reinterpret_cast<acceltran_plugin_abi_version_fn>(dlsym(handle, ACCELTRAN_PLUGIN_ABI_SYMBOL));
    auto enter = reinterpret_cast<acceltran_plugin_register_fn>(dlsym(handle, ACCELTRAN_PLUGIN_REGISTER_SYMBOL));
    if (!version || !enter) {
        dlclose(handle);
        throw InputError("plug-in '" + path + "': not an AccelTran-SC plug-in (it does not export " +
                         ACCELTRAN_PLUGIN_ABI_SYMBOL + " and " + ACCELTRAN_PLUGIN_REGISTER_SYMBOL +
                         "; define them with ACCELTRAN_PLUGIN, see docs/plugins.md)");
    }
    const int abi = version();
    if (abi != kPluginAbiVersion) {
        dlclose(handle);
        throw InputError("plug-in '" + path + "': built for plug-in ABI version " + std::to_string(abi) +
                         ", but this acceltran " + ACCELTRAN_VERSION + " has ABI version " +
                         std::to_string(kPluginAbiVersion) +
                         "; rebuild the plug-in against this installation's headers (docs/plugins.md)");
    }
    const std::size_t before_buffers = registry.names(ModelKind::Buffer).size();
    const std::size_t before_memories = registry.names(ModelKind::Memory).size();
    registry.set_origin(path);
    // The handle stays open when registration fails: models it added before failing point into it.
    try {
        enter(&registry);
    } catch (const std::exception& e) {
        registry.set_origin("built-in");
        throw InputError("plug-in '" + path + "': its " + ACCELTRAN_PLUGIN_REGISTER_SYMBOL + " threw " + e.what());
    } catch (...) {
        registry.set_origin("built-in");
        throw InputError("plug-in '" + path + "': its " + ACCELTRAN_PLUGIN_REGISTER_SYMBOL +
                         " threw something that is not a std::exception");
    }
    registry.set_origin("built-in");
    std::vector<std::string> added;
    const auto buffers = registry.names(ModelKind::Buffer);
    const auto memories = registry.names(ModelKind::Memory);
    for (std::size_t i = before_buffers; i < buffers.size(); ++i) added.push_back("buffer:" + buffers[i]);
    for (std::size_t i = before_memories; i < memories.size(); ++i) added.push_back("memory:" + memories[i]);
    return added;
}

}  // namespace acceltran

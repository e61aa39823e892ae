// The part of libtracefs (1.6 and later) the live source uses, declared here rather than through
// <tracefs.h>: that header does not compile as C++ (tracefs_hist_start passes an int as an enum),
// and these few functions keep their signatures across libtracefs releases.
#pragma once

struct tracefs_instance;
struct tracefs_cpu;

extern "C" {
void tracefs_put_tracing_file(char* name);
const char* tracefs_tracing_dir(void);
struct tracefs_instance* tracefs_instance_create(const char* name);
struct tracefs_instance* tracefs_instance_alloc(const char* tracing_dir, const char* name);
int tracefs_instance_destroy(struct tracefs_instance* instance);
void tracefs_instance_free(struct tracefs_instance* instance);
char* tracefs_instance_get_dir(struct tracefs_instance* instance);
int tracefs_instance_file_write(struct tracefs_instance* instance, const char* file,
                                const char* str);
char* tracefs_instance_file_read(struct tracefs_instance* instance, const char* file, int* psize);
int tracefs_instances_walk(int (*callback)(const char*, void*), void* context);
bool tracefs_instance_exists(const char* name);
int tracefs_event_enable(struct tracefs_instance* instance, const char* system, const char* event);
int tracefs_event_file_write(struct tracefs_instance* instance, const char* system,
                             const char* event, const char* file, const char* str);
bool tracefs_event_file_exists(struct tracefs_instance* instance, const char* system,
                               const char* event, const char* file);
struct tracefs_cpu* tracefs_cpu_open(struct tracefs_instance* instance, int cpu, bool nonblock);
void tracefs_cpu_close(struct tracefs_cpu* tcpu);
int tracefs_cpu_read_size(struct tracefs_cpu* tcpu);
int tracefs_cpu_read(struct tracefs_cpu* tcpu, void* buffer, bool nonblock);
}

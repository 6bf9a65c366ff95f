/*
 * sp.h: everything a command needs, in one include.
 */
#ifndef SP_H
#define SP_H

#include "buf.h"
#include "codec.h"
#include "format.h"
#include "frame.h"
#include "input.h"
#include "msg.h"
#include "opt.h"
#include "output.h"
#include "timefmt.h"
#include "value.h"

#endif

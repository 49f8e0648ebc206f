package fulfillment

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

// Password rules: long enough to resist guessing, and within what bcrypt
// reads (72 bytes).
const (
	minPasswordLen = 8
	maxPasswordLen = 72
)

// StaffInput describes a new staff login.
type StaffInput struct {
	Email    string
	Name     string
	Password string
	Role     models.Role
}

// StaffUpdate changes a staff member; nil fields stay as they are.
type StaffUpdate struct {
	Role     *models.Role
	Disabled *bool
}

// StaffMembers lists the shop's staff, the owner first.
//
// Errors: FORBIDDEN unless the actor is the shop's owner (a user).
func (s *Service) StaffMembers(ctx context.Context, a Actor) ([]models.User, error) {
	if err := authorize(a, OpReadStaff); err != nil {
		return nil, err
	}
	var users []models.User
	err := s.db.WithContext(ctx).Where("shop_id = ?", a.ShopID).
		Order("CASE WHEN role = 'OWNER' THEN 0 ELSE 1 END, id").Find(&users).Error
	return users, err
}

// CreateStaffMember gives the actor's shop a new login with a role below
// the owner's.
//
// Errors: FORBIDDEN unless the actor is the shop's owner (a user);
// INVALID_ARGUMENT for a malformed or taken e-mail, an empty name, a
// password of fewer than 8 or more than 72 bytes, or a role that is not a
// staff role (OWNER included: a shop has one owner).
func (s *Service) CreateStaffMember(ctx context.Context, a Actor, in StaffInput) (models.User, error) {
	var u models.User
	e := &audit{op: OpCreateStaffMember}
	email := normalizeEmail(in.Email)
	name := strings.TrimSpace(in.Name)
	if err := validateStaff(email, name, in.Password, in.Role); err != nil {
		return u, s.refuse(ctx, a, e, err)
	}
	// Hashed before the transaction: bcrypt is slow on purpose.
	hash, err := s.hashPassword(in.Password)
	if err != nil {
		return u, err
	}
	err = s.change(ctx, a, e, func(tx *gorm.DB) error {
		shop := a.ShopID
		u = models.User{Email: email, Name: name, PasswordHash: hash, Role: in.Role, ShopID: &shop, CreatedAt: s.clock.Now()}
		if err := tx.Create(&u).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return models.FieldError(models.CodeInvalidArgument, []string{"email"}, "this e-mail already has an account")
			}
			return err
		}
		e.object("User", u.ID)
		return nil
	})
	return u, err
}

func validateStaff(email, name, password string, role models.Role) error {
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || len(email) > 254 {
		return models.FieldError(models.CodeInvalidArgument, []string{"email"}, "%q is not an e-mail address", email)
	}
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return models.FieldError(models.CodeInvalidArgument, []string{"name"}, "a name of 1 to 64 characters is needed")
	}
	if len(password) < minPasswordLen || len(password) > maxPasswordLen {
		return models.FieldError(models.CodeInvalidArgument, []string{"password"}, "the password must be %d to %d bytes", minPasswordLen, maxPasswordLen)
	}
	return validateStaffRole(role)
}

func validateStaffRole(role models.Role) error {
	if !role.IsShopRole() || role == models.RoleOwner {
		return models.FieldError(models.CodeInvalidArgument, []string{"role"}, "%q is not a staff role (SHIPPER, SERVICE, OPERATIONS, VIEWER)", role)
	}
	return nil
}

// UpdateStaffMember changes a staff member's role or disables (or enables)
// the login. A disabled member's sessions, and the API tokens they created,
// stop working at once, because every request checks the account.
//
// Errors: FORBIDDEN unless the actor is the shop's owner (a user);
// NOT_FOUND for a member of another shop or none; INVALID_ARGUMENT for the
// owner's own account (a shop keeps its owner) or a role that is not a
// staff role.
func (s *Service) UpdateStaffMember(ctx context.Context, a Actor, id int64, in StaffUpdate) (models.User, error) {
	var u models.User
	e := &audit{op: OpUpdateStaffMember}
	e.object("User", id)
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		if err := tx.Where("shop_id = ? AND id = ?", a.ShopID, id).Take(&u).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return models.Errorf(models.CodeNotFound, "no such staff member in your shop")
			}
			return err
		}
		if u.Role == models.RoleOwner {
			return models.FieldError(models.CodeInvalidArgument, []string{"id"}, "the owner's own account cannot be changed here")
		}
		updates := map[string]any{}
		if in.Role != nil {
			if err := validateStaffRole(*in.Role); err != nil {
				return err
			}
			updates["role"], u.Role = *in.Role, *in.Role
		}
		if in.Disabled != nil {
			switch {
			case *in.Disabled && u.DisabledAt == nil:
				now := s.clock.Now()
				updates["disabled_at"], u.DisabledAt = now, &now
			case !*in.Disabled && u.DisabledAt != nil:
				updates["disabled_at"], u.DisabledAt = nil, nil
			}
		}
		if len(updates) == 0 {
			return nil
		}
		return tx.Model(&models.User{}).Where("shop_id = ? AND id = ?", a.ShopID, id).Updates(updates).Error
	})
	return u, err
}

// refuse logs a request refused before its transaction (input that fails
// validation) and returns the refusal. The role is checked first, so that
// a forbidden caller learns nothing from validation messages.
func (s *Service) refuse(ctx context.Context, a Actor, e *audit, err error) error {
	if aerr := authorize(a, e.op); aerr != nil {
		err = aerr
	}
	return s.change(ctx, a, e, func(*gorm.DB) error { return err })
}
